/**
 * A user's notification settings (the `notify:<user id>` row): where webhooks go and in which
 * format, which events they carry, the Telegram bot, and the user's signing secret.
 */
import type { Kysely } from "kysely";
import { EVENT_TYPES } from "../store/events";
import type { Database } from "../store/schema";

export interface NotifySettings {
  readonly url: string | null;
  readonly format: "form" | "json";
  readonly events: Record<string, boolean>;
  /** For the receiver to check the X-Simgate-Signature header (HMAC-SHA256 of the body). */
  readonly secret: string;
  readonly telegram: { token: string | null; chatId: string | null };
}

export const notifySettings = async (db: Kysely<Database>, userId: number): Promise<NotifySettings> => {
  const row = await db.selectFrom("settings").select("value").where("key", "=", `notify:${userId}`).executeTakeFirst();
  const user = await db.selectFrom("api_users").select("secret").where("id", "=", userId).executeTakeFirstOrThrow();
  const v = (row?.value ?? {}) as Partial<NotifySettings>;
  return {
    url: v.url ?? null,
    format: v.format ?? "form",
    events: Object.fromEntries(EVENT_TYPES.map((e) => [e, v.events?.[e] ?? false])),
    secret: user.secret,
    telegram: { token: v.telegram?.token ?? null, chatId: v.telegram?.chatId ?? null },
  };
};
