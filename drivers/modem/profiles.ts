/**
 * Vendor profiles: the knowledge lives in drivers/vendors/<vendor>/ (one folder per vendor);
 * this module is what the modem drivers read it through, and where the rule that comes
 * before any vendor's init is kept.
 */
import { GENERIC, pickVendor, VENDORS, type VendorProfile } from "../vendors";

export type { VendorProfile };

/**
 * The message storages, set before anything else at every bring-up and after every restart:
 * until this runs, a module that powered up may put new messages into its own memory (ME)
 * by default (Quectel does), where they do not follow the card. SIM storage for reading,
 * writing and receiving.
 */
export const STORAGE_INIT = 'AT+CPMS="SM","SM","SM"';

export const GENERIC_PROFILE: VendorProfile = GENERIC;

export const PROFILES: readonly VendorProfile[] = VENDORS;

export const pickProfile = (manufacturer: string, model: string): VendorProfile => pickVendor(manufacturer, model);
