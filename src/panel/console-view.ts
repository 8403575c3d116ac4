/**
 * What the panel's console pages read: the modem a console page is for (only on a device the
 * user may see), the console leases standing on modems (the device grid and the dashboard show
 * them, console-leases.ts), and the modems a "many at once" batch may be sent to.
 */
import type { PanelContext } from "./context";
import { consoleLeases, leaseKey, type LeaseView } from "./console-leases";
import { modemsOf, visibleDevices, type DeviceRow, type ModemView, type Viewer } from "./farm-view";

export interface ConsoleTarget {
  readonly device: DeviceRow;
  readonly modem: ModemView;
  readonly lease: LeaseView | null;
}

/** The modem of a console page, or null when the device is not the user's to see or has no such modem. */
export const consoleTarget = async (ctx: PanelContext, user: Viewer, device: string, modem: number): Promise<ConsoleTarget | null> => {
  const row = (await visibleDevices(ctx, user)).find((d) => d.key === device);
  if (!row) return null;
  const found = (await modemsOf(ctx, [row])).find((m) => m.modem === modem);
  if (!found) return null;
  const lease = (await consoleLeases(ctx, [device])).get(leaseKey(device, modem)) ?? null;
  return { device: row, modem: found, lease };
};

/** Every modem the user may send a batch to: those of the devices they see. */
export const batchModems = async (ctx: PanelContext, user: Viewer): Promise<ModemView[]> => modemsOf(ctx, await visibleDevices(ctx, user));
