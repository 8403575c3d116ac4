/**
 * A throwaway database on the PostgreSQL server the tests use (127.0.0.1:5432, user postgres;
 * SIMGATE_TEST_PG overrides), created per test file and dropped after it.
 */
import pg from "pg";

export const TEST_SERVER = process.env.SIMGATE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

const admin = async (query: string) => {
  const client = new pg.Client({ connectionString: TEST_SERVER });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
};

export const throwawayDatabase = async (prefix: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  await admin(`create database ${name}`);
  return { url: TEST_SERVER.replace(/\/[^/]*$/, `/${name}`), drop: () => admin(`drop database if exists ${name} with (force)`) };
};
