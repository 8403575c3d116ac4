/**
 * settingsGet and settingsSet: the user's notification settings (the webhook, its format,
 * the events it is told of, the Telegram bot), kept by src/notify/settings.ts.
 */
import { EVENT_TYPES } from "../../store/events";
import { notifySettings, type NotifySettings } from "../../notify/settings";
import { Schema } from "effect";
import { method } from "./context";
import { Checked, optional, Switch, Text } from "./params";

/** Settings as the API shows them: the bot token masked. */
const shown = (s: NotifySettings) => ({ ...s, telegram: { chatId: s.telegram.chatId, token: s.telegram.token ? `${s.telegram.token.slice(0, 4)}...` : null } });

export const settingsGet = method(Schema.Struct({}), async (ctx, user) => {
  return { settings: shown(await notifySettings(ctx.db, user.id)) };
});

// Each setting left out stays as it is; given empty, the URL and the bot's settings are cleared.
const SettingsSetParams = Schema.Struct({
  url: optional(Checked(Text(2000), (url) => (/^https?:\/\/[^\s]+$/i.test(url) ? null : "must be an http:// or https:// URL")), "the webhook; empty: none"),
  // Empty is no format, which is not one of the two.
  format: optional(Text(10).pipe(Schema.filter((f) => (f === "form" || f === "json" ? undefined : 'must be "form" or "json"'))), "form | json"),
  ...Object.fromEntries(EVENT_TYPES.map((name) => [name, optional(Switch, "1 or 0")])),
  telegram_token: optional(Checked(Text(100), (token) => (/^\d+:[\w-]{20,}$/.test(token) ? null : "must be a bot token (123456:ABC...)")), "the bot's token; empty: none"),
  telegram_chat_id: optional(Checked(Text(40), (chat) => (/^-?\d{1,20}$|^@\w{4,}$/.test(chat) ? null : "must be a chat id or @channel")), "the chat id or @channel; empty: none"),
});

export const settingsSet = method(SettingsSetParams, async (ctx, user, params) => {
  const current = await notifySettings(ctx.db, user.id);
  const url = params.url === undefined ? current.url : params.url;
  const format = params.format ?? current.format;
  const events = { ...current.events };
  for (const name of EVENT_TYPES) {
    const on = (params as Record<string, unknown>)[name];
    if (typeof on === "boolean") events[name] = on;
  }
  const telegram = { ...current.telegram };
  if (params.telegram_token !== undefined) telegram.token = params.telegram_token;
  if (params.telegram_chat_id !== undefined) telegram.chatId = params.telegram_chat_id;
  const value = { url, format: format as "form" | "json", events, telegram };
  await ctx.db
    .insertInto("settings")
    .values({ key: `notify:${user.id}`, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value) }))
    .execute();
  return { settings: shown(await notifySettings(ctx.db, user.id)) };
});
