/**
 * telegramSend: a message to the user's own Telegram chat through the Bot API, with the bot
 * token and chat id the user set with settingsSet.
 */
import { notifySettings } from "../../notify/settings";
import { Schema } from "effect";
import { method } from "./context";
import { ApiError, badParam } from "./errors";
import { required, RequiredText } from "./params";

export const telegramSend = method(Schema.Struct({ msg: required(RequiredText(4096), "text") }), async (ctx, user, { msg }) => {
  const s = await notifySettings(ctx.db, user.id);
  if (!s.telegram.token || !s.telegram.chatId) throw badParam("msg", "no Telegram bot yet: settingsSet telegram_token and telegram_chat_id first");
  const base = (ctx.telegramApi ?? "https://api.telegram.org").replace(/\/$/, "");
  let answer: { ok?: boolean; description?: string } = {};
  try {
    const res = await fetch(`${base}/bot${s.telegram.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: s.telegram.chatId, text: msg }),
      signal: AbortSignal.timeout(10_000),
    });
    answer = (await res.json().catch(() => ({}))) as typeof answer;
    if (!res.ok || !answer.ok) throw new ApiError("TELEGRAM_ERROR", `Telegram refused the message: ${answer.description ?? `HTTP ${res.status}`}`);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError("TELEGRAM_ERROR", `Telegram could not be reached: ${(error as Error).message}`);
  }
  return { sent: true };
});
