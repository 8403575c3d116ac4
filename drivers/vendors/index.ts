/**
 * Every vendor simgate knows, in the order they are tried: the first whose matcher claims a
 * modem's identity strings is its profile; the generic profile takes the rest.
 */
import { GENERIC } from "./generic/profile";
import { HUAWEI } from "./huawei/profile";
import { QUECTEL } from "./quectel/profile";
import { SIERRA } from "./sierra/profile";
import { SIMCOM } from "./simcom/profile";
import { TELIT } from "./telit/profile";
import { UBLOX } from "./ublox/profile";
import { ZTE } from "./zte/profile";
import { vendorMatches, type VendorProfile } from "./profile";

export const VENDORS: readonly VendorProfile[] = [HUAWEI, QUECTEL, SIMCOM, ZTE, SIERRA, TELIT, UBLOX, GENERIC];

export const pickVendor = (manufacturer: string, model: string): VendorProfile =>
  VENDORS.find((p) => vendorMatches(p, manufacturer, model)) ?? GENERIC;

/**
 * Every vendor's own unsolicited codes. The port keeps them out of replies from the first
 * command on, before the modem's vendor is known: their prefixes are the vendor's own, so
 * they cannot be another modem's information lines.
 */
export const VENDOR_URCS: readonly RegExp[] = VENDORS.flatMap((p) => [...p.urcs.handled, ...p.urcs.ignored]);

export { GENERIC, HUAWEI, QUECTEL, SIERRA, SIMCOM, TELIT, UBLOX, ZTE };
export type { VendorProfile } from "./profile";
