/**
 * One AT line to many modems through the service (`simgate console --all "AT+CSQ"`): a POST
 * to /console/batch, answered with one result per modem, printed as a table a person scans
 * down (which modem, whether it answered OK, its final result, how long, the first line).
 */
import { explainBody, serviceUrl } from "./remote";

export interface BatchOptions {
  readonly service: URL;
  readonly key: string;
  readonly command: string;
  readonly modems: "all" | ReadonlyArray<{ readonly device: string; readonly modem: number }>;
  readonly output: NodeJS.WritableStream;
  readonly errors: NodeJS.WritableStream;
}

/** One modem's row, from whatever of the reply's fields the service filled. */
export interface BatchRow {
  readonly place: string;
  readonly outcome: string;
  readonly final: string;
  readonly ms: string;
  readonly first: string;
}

type Result = {
  device?: string;
  modem?: number;
  ok?: boolean;
  final?: string | null;
  ms?: number;
  lines?: string[];
  /** Why there is no answer (or which error), in words. */
  error?: string | null;
};

export const batchRow = (result: Result): BatchRow => {
  const reason = result.error ?? undefined;
  // An error the modem answered has a final result; a modem that never answered has none.
  const outcome = result.ok === true ? "ok" : result.final ? "error" : "failed";
  return {
    place: `${result.device ?? "?"}/${result.modem ?? "?"}`,
    outcome,
    final: result.final ?? "-",
    ms: typeof result.ms === "number" ? String(Math.round(result.ms)) : "-",
    first: result.lines?.[0] ?? reason ?? "",
  };
};

const HEADINGS: BatchRow = { place: "modem", outcome: "result", final: "final", ms: "ms", first: "first line" };

export const batchTable = (rows: readonly BatchRow[]): string[] => {
  const all = [HEADINGS, ...rows];
  const width = (key: keyof BatchRow) => Math.max(...all.map((r) => r[key].length));
  const [place, outcome, final, ms] = [width("place"), width("outcome"), width("final"), width("ms")];
  return all.map((r) => `${r.place.padEnd(place)}  ${r.outcome.padEnd(outcome)}  ${r.final.padEnd(final)}  ${r.ms.padStart(ms)}  ${r.first}`.trimEnd());
};

const resultsOf = (body: unknown): Result[] | null => {
  const results = body && typeof body === "object" ? (body as { results?: unknown }).results : undefined;
  return Array.isArray(results) ? (results as Result[]) : null;
};

/** Resolves with the exit code: 0 when every modem answered OK. */
export const runBatch = async (options: BatchOptions): Promise<number> => {
  const where = options.service.href;
  const url = serviceUrl(options.service, "/console/batch", "http");
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.key}`, "content-type": "application/json" },
      body: JSON.stringify({ command: options.command, modems: options.modems === "all" ? "all" : options.modems.map((m) => `${m.device}/${m.modem}`) }),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string; code?: string } }).cause;
    options.errors.write(`simgate console: cannot reach the service at ${where}: ${cause?.message ?? cause?.code ?? (error as Error).message}\n`);
    return 1;
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // said below
  }
  if (!response.ok) {
    options.errors.write(`simgate console: the service at ${where} refused the batch: HTTP ${response.status}${text.trim() ? ` ${explainBody(text)}` : ""}\n`);
    return 1;
  }
  const results = resultsOf(body);
  if (!results) {
    options.errors.write(`simgate console: the service's answer to the batch has no results: ${text.slice(0, 300)}\n`);
    return 1;
  }
  const rows = results.map(batchRow);
  options.output.write(`${options.command} on ${rows.length} modem${rows.length === 1 ? "" : "s"}\n${batchTable(rows).join("\n")}\n`);
  return rows.every((r) => r.outcome === "ok") ? 0 : 1;
};
