/**
 * settingsGet and settingsSet: the user's notification settings (the webhook, its format,
 * the events it is told of, the Telegram bot), kept by src/notify/settings.ts.
 */
import { EVENT_TYPES } from "../../store/events";
import { notifySettings, type NotifySettings } from "../../notify/settings";
import type { Method } from "./context";
import { bad, text } from "./params";

/** Settings as the API shows them: the bot token masked. */
const shown = (s: NotifySettings) => ({ ...s, telegram: { chatId: s.telegram.chatId, token: s.telegram.token ? `${s.telegram.token.slice(0, 4)}...` : null } });

export const settingsGet: Method = async (ctx, user) => {
  return { settings: shown(await notifySettings(ctx.db, user.id)) };
};

export const settingsSet: Method = async (ctx, user, params) => {
  const current = await notifySettings(ctx.db, user.id);
  const url = params.has("url") ? (text(params, "url", { max: 2000 }) ?? null) : current.url;
  if (url !== null && !/^https?:\/\/[^\s]+$/i.test(url)) bad("url", "must be an http:// or https:// URL");
  const format = params.has("format") ? text(params, "format", { max: 10 }) : current.format;
  if (format !== "form" && format !== "json") bad("format", 'must be "form" or "json"');
  const events = { ...current.events };
  for (const name of EVENT_TYPES) {
    if (!params.has(name)) continue;
    const raw = params.get(name);
    const v = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean" ? String(raw) : "";
    if (v !== "0" && v !== "1" && v !== "true" && v !== "false") bad(name, "must be 1 or 0");
    events[name] = v === "1" || v === "true";
  }
  const telegram = { ...current.telegram };
  if (params.has("telegram_token")) {
    const token = text(params, "telegram_token", { max: 100 }) ?? null;
    if (token !== null && !/^\d+:[\w-]{20,}$/.test(token)) bad("telegram_token", "must be a bot token (123456:ABC...)");
    telegram.token = token;
  }
  if (params.has("telegram_chat_id")) {
    const chat = text(params, "telegram_chat_id", { max: 40 }) ?? null;
    if (chat !== null && !/^-?\d{1,20}$|^@\w{4,}$/.test(chat)) bad("telegram_chat_id", "must be a chat id or @channel");
    telegram.chatId = chat;
  }
  const value = { url, format: format as "form" | "json", events, telegram };
  await ctx.db
    .insertInto("settings")
    .values({ key: `notify:${user.id}`, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value) }))
    .execute();
  return { settings: shown(await notifySettings(ctx.db, user.id)) };
};
