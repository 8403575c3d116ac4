/**
 * A modem's signal over the last hour as a small inline SVG (presentation attributes only:
 * the CSP allows no inline style). A point holds until the next one (the host writes the
 * signal when it changes), and the line stops where the modem had no signal to report.
 */
import { html } from "../html";
import type { Translate } from "../i18n/locale";

const W = 72;
const H = 18;
/** 27.007 +CSQ's range in dBm: rssi 0 is -113 dBm or less, 31 is -51 or more. */
const LOW = -113;
const HIGH = -51;
const WINDOW_S = 3600;

export const sparkline = (t: Translate, history: ReadonlyArray<readonly [number, number | null]>, nowS: number = Math.floor(Date.now() / 1000)) => {
  const from = nowS - WINDOW_S;
  // The value at the window's start is the last point before it.
  const before = [...history].reverse().find(([at]) => at <= from);
  const points = [...(before ? [[from, before[1]] as const] : []), ...history.filter(([at]) => at > from && at <= nowS)];
  const values = points.flatMap(([, dbm]) => (dbm === null ? [] : [dbm]));
  if (values.length === 0) return html``;
  const x = (at: number) => (((at - from) / WINDOW_S) * W).toFixed(1);
  const y = (dbm: number) => (H - 1 - ((Math.min(HIGH, Math.max(LOW, dbm)) - LOW) / (HIGH - LOW)) * (H - 2)).toFixed(1);
  // Steps: each value holds until the next point, the last one until now.
  const runs: string[][] = [];
  let run: string[] | null = null;
  points.forEach(([at, dbm], i) => {
    const until = i + 1 < points.length ? points[i + 1]![0] : nowS;
    if (dbm === null) {
      run = null;
      return;
    }
    if (!run) runs.push((run = []));
    run.push(`${x(at)},${y(dbm)}`, `${x(until)},${y(dbm)}`);
  });
  const label = t("modem.signalHistory", { min: Math.min(...values), max: Math.max(...values), last: values.at(-1)! });
  return html`<svg class="spark" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${label}" data-points="${values.length}"><title>${label}</title>${runs.map((r) => html`<polyline points="${r.join(" ")}"></polyline>`)}</svg>`;
};
