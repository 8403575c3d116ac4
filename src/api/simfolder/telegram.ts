/**
 * telegramSend: a message to the user's own Telegram chat through the Bot API, with the bot
 * token and chat id the user set with settingsSet.
 */
import { notifySettings } from "../../notify/settings";
import type { Method } from "./context";
import { ApiError, bad, text } from "./params";

export const telegramSend: Method = async (ctx, user, params) => {
  const msg = text(params, "msg", { required: true, max: 4096 })!;
  const s = await notifySettings(ctx.db, user.id);
  if (!s.telegram.token || !s.telegram.chatId) bad("msg", "no Telegram bot yet: settingsSet telegram_token and telegram_chat_id first");
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
};
