/**
 * The console page's route: `GET /console/<device>/<modem>`. Only the page: the session
 * itself (`/console/ws`) and the batch (`POST /console/batch`) are the service's, so the
 * panel claims no other path under /console/.
 */
import { mayWorkTheFarm } from "../access/roles";
import type { PanelContext } from "./context";
import { batchModems, consoleTarget } from "./console-view";
import { consoleMain } from "./pages/console";
import { errorPage, sendPage, type PageRoutes } from "./route-kit";

/** The page's path: the panel claims it alone under /console/. */
export const CONSOLE_PAGE = "/console/:device/:modem(\\d{1,4})";

export const consoleRoutes = (ctx: PanelContext): PageRoutes => [
  {
    method: "GET",
    path: CONSOLE_PAGE,
    handle: async (r, { device, modem }) => {
      const s = r.session!;
      const target = await consoleTarget(ctx, s.user, device!, Number(modem));
      // A device the user may not see answers as one that does not exist: its name is not told.
      if (!target) return errorPage(r, 404, r.t("console.notFound"));
      const mayWork = mayWorkTheFarm(s.user.role);
      const batch = mayWork ? await batchModems(ctx, s.user) : [];
      await sendPage(ctx, r, {
        nav: "/devices",
        title: r.t("console.title", { device: target.device.title, modem: target.modem.modem }),
        main: consoleMain(r.t, target, { me: s.user.name, mayWork, admin: s.user.admin, csrf: s.csrf, batch }),
      });
    },
  },
];
