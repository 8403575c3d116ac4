/**
 * The device methods: deviceList, deviceState (each modem as this host sees it, or as the
 * host that drives it last wrote it), deviceEdit.
 */
import { Option, Schema, SubscriptionRef } from "effect";
import { sql } from "kysely";
import { simStatusOf } from "../../../drivers/modem/state";
import { remoteModems } from "../../devices/live-state";
import { DEFAULT_HOST_TTL_MS } from "../../hosts/host";
import { method, run } from "./context";
import { ApiError } from "./errors";
import { IdList, optional, required, RequiredText, RequiredWholeNumber } from "./params";
import { localDevices, visibleDevices } from "./scope";

const DeviceFilter = Schema.Struct({ device_id: optional(IdList(), "filter") });

export const deviceList = method(DeviceFilter, async (ctx, user, params) => {
  const only = params.device_id;
  const devices = (await visibleDevices(ctx, user)).filter((d) => !only || only.includes(d.id));
  return {
    devices: devices.map((d) => ({
      device_id: d.id,
      device_title: (d.config as { title?: string }).title ?? d.title,
      key: d.key,
      model: d.model,
      channels: d.channels,
      positions: (d.config as { positions?: number }).positions ?? null,
    })),
  };
});

export const deviceState = method(DeviceFilter, async (ctx, user, params) => {
  const only = params.device_id;
  const devices = (await visibleDevices(ctx, user)).filter((d) => !only || only.includes(d.id));
  const modems = [];
  // Devices another host drives: their modems as that host last wrote them.
  const elsewhere = devices.filter((d) => !ctx.registry.devices.some((r) => r.config.id === d.key));
  const remote = elsewhere.length ? await remoteModems(ctx.db, localDevices(ctx), ctx.hostTtlMs ?? DEFAULT_HOST_TTL_MS, { devices: elsewhere.map((d) => d.key ?? "") }) : [];
  for (const d of devices) {
    for (const r of remote.filter((m) => m.device === d.key)) {
      const card = r.iccid ? await ctx.db.selectFrom("sim_cards").select(["id", "place"]).where("iccid", "=", r.iccid).executeTakeFirst() : undefined;
      modems.push({
        device_id: d.id,
        modem: r.modem,
        state: r.connected ? "online" : "offline",
        place: card?.place ?? null,
        card_id: card?.id ?? null,
        iccid: r.iccid,
        sim_state: r.simStatus,
        signal: r.signalDbm === null ? null : { dbm: r.signalDbm },
        registration: r.registration,
        operator: r.operator,
        host: r.host,
      });
    }
    const device = ctx.registry.devices.find((r) => r.config.id === d.key);
    for (const m of device?.modems ?? []) {
      const actor = await run(ctx, SubscriptionRef.get(m.supervised.actor));
      const s = Option.isSome(actor) ? await run(ctx, SubscriptionRef.get(actor.value.state)) : null;
      const card = s?.sim?.iccid ? await ctx.db.selectFrom("sim_cards").select("id").where("iccid", "=", s.sim.iccid).executeTakeFirst() : undefined;
      modems.push({
        device_id: d.id,
        modem: m.position,
        state: s && s.port === "ready" ? "online" : "offline",
        place: ctx.scheduler.positions(d.key ?? "").get(m.position) ?? null,
        card_id: card?.id ?? null,
        iccid: s?.sim?.iccid ?? null,
        sim_state: s ? simStatusOf(s) : -3,
        signal: s?.signal ?? null,
        registration: s?.registration ?? null,
        operator: s?.operator ?? null,
        host: ctx.host ?? null,
      });
    }
  }
  return { modems };
});

const DeviceEditParams = Schema.Struct({ device_id: required(RequiredWholeNumber()), title: required(RequiredText(200)) });

export const deviceEdit = method(DeviceEditParams, async (ctx, user, { device_id: id, title }) => {
  const device = (await visibleDevices(ctx, user)).find((d) => d.id === id);
  if (!device) throw new ApiError("NOT_FOUND", "no such device among yours");
  await ctx.db.updateTable("devices").set({ config: sql`config || ${JSON.stringify({ title })}::jsonb` as never }).where("id", "=", id).execute();
  return { device: { device_id: id, device_title: title } };
});
