/**
 * The Events page's route: the filters read and checked (bad input is a 400 that says what
 * was wrong, with nothing listed), the log read through src/events/event-log.ts, only the
 * events of the devices the user may see (an admin also those of no device, as the live
 * stream does).
 */
import type { PanelContext } from "./context";
import { eventLog, type EventSlice } from "../events/event-log";
import { feedEnd } from "../events/feed";
import { visibleDevices } from "./farm-view";
import { isFragment, sendFragment, sendPage, type PanelRequest } from "./route-kit";
import { EVENT_KINDS, EVENT_PAGE_SIZES, eventsLive, eventsMain, type EventQuery } from "./pages/events";

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

const cursor = (text: string | null): number | null | undefined => {
  if (text === null || text === "") return null;
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
};

/** The query as typed, and what is wrong with it (the first problem), or null. */
export const parseEventQuery = (p: URLSearchParams): { query: EventQuery; problem: string | null } => {
  const size = Number(p.get("size") ?? 50);
  const before = cursor(p.get("before"));
  const after = cursor(p.get("after"));
  const query: EventQuery = {
    type: (p.get("type") ?? "").slice(0, 40),
    device: (p.get("device") ?? "").slice(0, 100),
    card: (p.get("card") ?? "").trim().slice(0, 32),
    from: (p.get("from") ?? "").slice(0, 19),
    to: (p.get("to") ?? "").slice(0, 19),
    before: before ?? null,
    after: after ?? null,
    size: (EVENT_PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
  };
  const problem =
    query.type && !EVENT_KINDS.includes(query.type)
      ? "type"
      : query.card && !/^\+?\d{3,22}$/.test(query.card)
        ? "card"
        : query.from && !LOCAL_TIME.test(query.from)
          ? "from"
          : query.to && !LOCAL_TIME.test(query.to)
            ? "to"
            : before === undefined || after === undefined
              ? "cursor"
              : p.has("size") && !(EVENT_PAGE_SIZES as readonly number[]).includes(size)
                ? "size"
                : query.from && query.to && query.from >= query.to
                  ? "window"
                  : null;
  return { query, problem };
};

const EMPTY: EventSlice = { rows: [], older: false, newer: false };

export const showEvents = async (ctx: PanelContext, r: PanelRequest): Promise<void> => {
  const s = r.session!;
  const fragment = isFragment(r);
  // Where the feed stands, read before the log: the tab's stream starts no later than what the page shows.
  const feed = fragment ? null : await feedEnd(ctx.db);
  const devices = await visibleDevices(ctx, s.user);
  const { query, problem } = parseEventQuery(r.url.searchParams);
  let error: string | null = problem ? r.t(`events.bad.${problem}` as never) : null;
  if (!error && query.device && !devices.some((d) => d.key === query.device)) error = r.t("device.notFound");
  let iccid: string | undefined;
  if (!error && query.card) {
    // A number names a card through the inventory (the user's cards only); anything longer is taken for an ICCID.
    if (query.card.startsWith("+") || query.card.length < 15) {
      const digits = query.card.replace(/\D/g, "");
      let q = ctx.db.selectFrom("sim_cards").select("iccid").where("number", "in", [digits, `+${digits}`]);
      if (!s.user.admin) q = q.where("device_id", "in", devices.length ? devices.map((d) => d.id) : [-1]);
      iccid = (await q.limit(1).executeTakeFirst())?.iccid;
      if (!iccid) error = r.t("events.bad.noCard");
    } else iccid = query.card;
  }
  const slice = error
    ? EMPTY
    : await eventLog(
        ctx.db,
        {
          devices: s.user.admin ? null : devices.map((d) => d.key),
          ...(query.type ? { type: query.type } : {}),
          ...(query.device ? { device: query.device } : {}),
          ...(iccid ? { iccid } : {}),
          ...(query.from ? { from: new Date(`${query.from}Z`) } : {}),
          ...(query.to ? { to: new Date(`${query.to}Z`) } : {}),
        },
        { limit: query.size, ...(query.before !== null ? { before: query.before } : query.after !== null ? { after: query.after } : {}) },
      );
  // The event a page's address starts from was pruned meanwhile: said, and the newest offered.
  if (slice.lostCursor && !error) error = r.t("events.bad.cursor");
  if (fragment) return sendFragment(r, eventsLive(r.t, query, slice));
  await sendPage(ctx, r, {
    nav: "/events",
    title: r.t("events.title"),
    main: eventsMain(r.t, query, devices, slice, error ? { kind: "error", text: error } : null),
    status: error ? 400 : 200,
    feed: feed!,
  });
};
