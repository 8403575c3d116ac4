/**
 * The Settings pages' routes. Every change goes through the functions the APIs and the shell
 * use: the SimFolder methods for notifications, Telegram and operator codes (settingsSet,
 * operatorEdit), src/notify/webhooks.ts for the test event and "retry now", src/access for
 * keys and users, src/store/retention.ts for retention. Who may change what is checked here,
 * on the server: operators and admins their own notifications and key, admins the shared
 * settings, users and the audit log; a viewer changes nothing (their language excepted, as
 * in part 1). A refused change answers 400 with the reason and changes nothing.
 */
import { AccountError, addUser, listUsers, rotateApiKey, setDisabled, setPassword, setRole } from "../access/accounts";
import { audit, auditLog } from "../access/audit";
import { isRole, mayAdminister, mayWorkTheFarm } from "../access/roles";
import { ApiError, METHODS, type Params, type SimFolderContext } from "../api/simfolder/methods";
import { notifySettings } from "../notify/settings";
import { EVENT_TYPES } from "../store/events";
import { deliveryLog, retryNow, sendTestEvent } from "../notify/webhooks";
import { DEFAULT_RETENTION, type Retention } from "../config/retention";
import { retentionInForce, retentionProblem, setRetentionOverride } from "../store/retention";
import type { PanelContext } from "./context";
import { clientAddress, redirect } from "./http";
import { errorPage, sendPage, type PageRoutes, type PanelRequest, type PanelRoute } from "./route-kit";
import { settingsMain, type Notice, type OperatorCodes } from "./pages/settings";
import { auditMain, usersMain } from "./pages/users";

const LOG_PAGE = 20;
const AUDIT_PAGE = 50;

/** What a finished change says when the page comes back (`?done=`). */
const DONE = new Set(["notify", "telegram", "operator", "retention", "test", "language"]);

/** A user's own settings, changed by those who may work the farm. */
const OWN = ["/settings/key", "/settings/notify", "/settings/notify/test", "/settings/notify/retry", "/settings/telegram"];
/** The farm's, changed by an admin. */
const SHARED = ["/settings/operators", "/settings/retention"];

export const settingsRoutes = (ctx: PanelContext): PageRoutes => {
  // The SimFolder methods the page reuses run with the panel's own services and runtime.
  const api: SimFolderContext = { db: ctx.db, registry: ctx.registry, scheduler: ctx.scheduler, hostTtlMs: ctx.hostTtlMs, version: "panel", directory: ctx.directory, ...(ctx.runtime ? { runtime: ctx.runtime } : {}) };
  const apiUser = (r: PanelRequest) => ({ id: r.session!.user.id, name: r.session!.user.name, admin: r.session!.user.admin });

  const operators = async (r: PanelRequest): Promise<OperatorCodes[]> => {
    const listed = (await METHODS.operatorList!(api, apiUser(r), new Map())).operators as OperatorCodes[];
    if (!r.session!.user.admin) return listed;
    // An admin also sees the operators whose codes were set but who have no card in now.
    const known = await ctx.db.selectFrom("operators").select(["name", "balance_ussd", "number_ussd"]).orderBy("name").execute();
    const seen = new Set(listed.map((o) => o.name.toLowerCase()));
    return [...listed, ...known.filter((k) => !seen.has(k.name.toLowerCase())).map((k) => ({ ...k, cards: 0 }))];
  };

  const showSettings = async (r: PanelRequest, o: { notice?: Notice; newKey?: string; status?: number } = {}) => {
    const s = r.session!;
    const q = r.url.searchParams;
    const before = /^\d{1,15}$/.test(q.get("log_before") ?? "") ? Number(q.get("log_before")) : undefined;
    const [notify, log, ops, retention] = await Promise.all([
      notifySettings(ctx.db, s.user.id),
      deliveryLog(ctx.db, s.user.id, { limit: LOG_PAGE + 1, ...(before !== undefined ? { before } : {}) }),
      operators(r),
      retentionInForce(ctx.db),
    ]);
    let notice = o.notice ?? null;
    const done = q.get("done");
    const failed = q.get("failed");
    if (!notice && failed) notice = { kind: "error", text: r.t("settings.test.failed", { reason: failed.slice(0, 400) }) };
    else if (!notice && q.has("retried")) notice = { kind: "info", text: r.t("settings.log.retried", { delivered: Number(q.get("retried")) || 0, waiting: Number(q.get("waiting")) || 0 }) };
    else if (!notice && done && DONE.has(done)) notice = { kind: "info", text: r.t(done === "test" ? "settings.test.delivered" : "settings.saved") };
    else if (!notice && q.has("saved")) notice = { kind: "info", text: r.t("settings.saved") };
    await sendPage(ctx, r, {
      nav: "/settings",
      title: r.t("settings.title"),
      status: o.status ?? 200,
      main: settingsMain(r.t, {
        csrf: s.csrf,
        locale: s.user.locale,
        mayChange: mayWorkTheFarm(s.user.role),
        admin: mayAdminister(s.user.role),
        notify,
        deliveries: log.slice(0, LOG_PAGE),
        olderDeliveries: log.length > LOG_PAGE,
        operators: ops,
        retention,
        newKey: o.newKey ?? null,
        notice,
      }),
    });
  };

  const showUsers = async (r: PanelRequest, o: { notice?: Notice; newKey?: { name: string; key: string }; status?: number } = {}) => {
    const s = r.session!;
    const done = r.url.searchParams.get("done");
    const notice = o.notice ?? (done ? { kind: "info" as const, text: r.t("users.done", { name: done.slice(0, 64) }) } : null);
    await sendPage(ctx, r, { nav: "/settings", title: r.t("users.title"), status: o.status ?? 200, main: usersMain(r.t, await listUsers(ctx.db), { csrf: s.csrf, me: s.user.name, notice, newKey: o.newKey ?? null }) });
  };

  const showAudit = async (r: PanelRequest) => {
    const q = r.url.searchParams;
    const user = (q.get("user") ?? "").trim().slice(0, 64);
    const action = (q.get("action") ?? "").trim().slice(0, 60);
    const beforeText = q.get("before");
    const bad = beforeText !== null && !/^\d{1,15}$/.test(beforeText);
    const log = bad ? { rows: [], older: false } : await auditLog(ctx.db, { limit: AUDIT_PAGE, ...(user ? { user } : {}), ...(action ? { action } : {}), ...(beforeText ? { before: Number(beforeText) } : {}) });
    await sendPage(ctx, r, {
      nav: "/settings",
      title: r.t("audit.title"),
      status: bad ? 400 : 200,
      main: auditMain(r.t, log.rows, { user, action, older: log.older, notice: bad ? { kind: "error", text: r.t("events.bad.cursor") } : null }),
    });
  };

  const refusedRole = (r: PanelRequest) => errorPage(r, 403, r.t("refused.role", { role: r.t(`role.${r.session!.user.role}`) }));

  /** The admin's pages under /settings/. */
  const adminPage = (show: (r: PanelRequest) => Promise<void>) => async (r: PanelRequest) => {
    if (!mayAdminister(r.session!.user.role)) return refusedRole(r);
    await show(r);
  };

  /** Runs a SimFolder method for the signed-in user; its refusal (BAD_PARAM, FORBIDDEN) comes back as the reason. */
  const viaApi = async (r: PanelRequest, method: string, params: Params): Promise<string | null> => {
    try {
      await METHODS[method]!(api, apiUser(r), params);
      return null;
    } catch (error) {
      if (error instanceof ApiError) return error.message;
      throw error;
    }
  };

  /** One change, named by its path (one of CHANGES). */
  const change = async (r: PanelRequest, path: string, fields: Map<string, string>): Promise<void> => {
    const s = r.session!;
    const address = clientAddress(r.req);
    const users = /^\/settings\/users\/(add|role|password|disable|enable)$/.exec(path);
    if (OWN.includes(path) ? !mayWorkTheFarm(s.user.role) : !mayAdminister(s.user.role)) return refusedRole(r);
    const refused = (reason: string) => showSettings(r, { status: 400, notice: { kind: "error", text: r.t("settings.refused", { reason }) } });

    if (path === "/settings/key") {
      const { key } = await rotateApiKey(ctx.db, s.user.name, s.user.name, address);
      // Shown in this answer only: it is stored hashed and cannot be shown again.
      await showSettings(r, { newKey: key, notice: { kind: "info", text: r.t("settings.key.rotated") } });
      return;
    }
    if (path === "/settings/notify") {
      const params = new Map<string, unknown>([
        ["url", (fields.get("url") ?? "").trim()],
        ["format", fields.get("format") ?? ""],
        ...EVENT_TYPES.map((e): [string, string] => [e, fields.get(`event_${e}`) === "1" ? "1" : "0"]),
      ]);
      const why = await viaApi(r, "settingsSet", params);
      if (why) return await refused(why);
      const now = await notifySettings(ctx.db, s.user.id);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.notify", detail: { url: now.url, format: now.format, events: EVENT_TYPES.filter((e) => now.events[e]) } });
      return redirect(r.res, "/settings?done=notify#notify-title");
    }
    if (path === "/settings/notify/test") {
      const sent = await sendTestEvent(ctx.db, s.user.id);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.notify.test", detail: { delivery: sent.id, ...(sent.error ? { error: sent.error } : {}) } });
      return redirect(r.res, sent.error ? `/settings?failed=${encodeURIComponent(sent.error)}#log-title` : "/settings?done=test#log-title");
    }
    if (path === "/settings/notify/retry") {
      const done = await retryNow(ctx.db, s.user.id);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.notify.retry", detail: done });
      return redirect(r.res, `/settings?retried=${done.delivered}&waiting=${done.waiting}#log-title`);
    }
    if (path === "/settings/telegram") {
      const clear = fields.get("clear") === "1";
      const token = (fields.get("telegram_token") ?? "").trim();
      const params = new Map<string, unknown>([["telegram_chat_id", clear ? "" : (fields.get("telegram_chat_id") ?? "").trim()]]);
      // An empty token field keeps the token (it is never shown back); "clear" removes both.
      if (clear) params.set("telegram_token", "");
      else if (token) params.set("telegram_token", token);
      const why = await viaApi(r, "settingsSet", params);
      if (why) return await refused(why);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.telegram", detail: { cleared: clear, token: clear ? false : token !== "" } });
      return redirect(r.res, "/settings?done=telegram#telegram-title");
    }
    if (path === "/settings/operators") {
      const name = (fields.get("name") ?? "").trim();
      const params = new Map<string, unknown>([
        ["name", name],
        ["balance_ussd", (fields.get("balance_ussd") ?? "").trim()],
        ["number_ussd", (fields.get("number_ussd") ?? "").trim()],
      ]);
      const why = await viaApi(r, "operatorEdit", params);
      if (why) return await refused(why);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.operator", detail: { name, balance_ussd: params.get("balance_ussd") || null, number_ussd: params.get("number_ussd") || null } });
      return redirect(r.res, "/settings?done=operator#codes-title");
    }
    if (path === "/settings/retention") {
      let value: Retention | null = null;
      if (fields.get("reset") !== "1") {
        const typed: Record<string, unknown> = {};
        for (const k of Object.keys(DEFAULT_RETENTION)) {
          const v = (fields.get(k) ?? "").trim();
          typed[k] = /^\d{1,6}$/.test(v) ? Number(v) : v;
        }
        const problem = retentionProblem(typed);
        if (problem) return await refused(problem);
        value = typed as unknown as Retention;
      }
      const now = await setRetentionOverride(ctx.db, value);
      await audit(ctx.db, { user: s.user.name, address, action: "settings.retention", detail: { ...now.retention, source: now.source } });
      return redirect(r.res, "/settings?done=retention#retention-title");
    }
    // Users: the admin's; each change is audited by src/access/accounts.ts.
    const name = (fields.get("name") ?? "").trim();
    const usersRefused = (reason: string) => showUsers(r, { status: 400, notice: { kind: "error", text: r.t("settings.refused", { reason }) } });
    try {
      const action = users![1]!;
      if (action === "add") {
        const role = fields.get("role") ?? "";
        if (!isRole(role)) return await usersRefused(r.t("users.badRole"));
        const { key } = await addUser(ctx.db, name, role, fields.get("password") ?? "", s.user.name);
        await showUsers(r, { newKey: { name, key }, notice: { kind: "info", text: r.t("users.added", { name }) } });
        return;
      }
      if (action === "role") {
        const role = fields.get("role") ?? "";
        if (!isRole(role)) return await usersRefused(r.t("users.badRole"));
        if (name === s.user.name && role !== "admin") return await usersRefused(r.t("users.ownRole"));
        await setRole(ctx.db, name, role, s.user.name);
      } else if (action === "password") await setPassword(ctx.db, name, fields.get("password") ?? "", s.user.name);
      else await setDisabled(ctx.db, name, action === "disable", s.user.name);
    } catch (error) {
      if (error instanceof AccountError) return await usersRefused(error.message);
      throw error;
    }
    return redirect(r.res, `/settings/users?done=${encodeURIComponent(name)}`);
  };

  const changeRoute = (path: string): PanelRoute => ({ method: "POST", path, handle: (r, _params, fields) => change(r, r.url.pathname, fields) });
  return [
    { method: "GET", path: "/settings", handle: (r) => showSettings(r) },
    { method: "GET", path: "/settings/users", handle: adminPage((r) => showUsers(r)) },
    { method: "GET", path: "/settings/audit", handle: adminPage((r) => showAudit(r)) },
    ...[...OWN, ...SHARED].map(changeRoute),
    changeRoute("/settings/users/:action(add|role|password|disable|enable)"),
  ];
};
