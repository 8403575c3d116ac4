/**
 * Vendor profiles: what differs between modem families, as data. The actor picks one from
 * +CGMI/+CGMM at bring-up; anything not listed behaves as 27.007/27.005 say.
 */
import type { CommandClass } from "../at/timeouts";

export interface VendorProfile {
  readonly name: string;
  readonly matches: (manufacturer: string, model: string) => boolean;
  /** After ATE0 and +CMEE=1. A failing step is reported, not fatal (no SIM yet, say). */
  readonly init: readonly string[];
  /** Tried in order until one answers with an ICCID. */
  readonly iccidCommands: readonly string[];
  readonly timeouts?: Partial<Record<CommandClass, number>>;
  /** How the modem wants USSD requests: text in +CSCS, or GSM 7-bit packed hex (Huawei). */
  readonly ussdRequest: "text" | "packed-gsm7";
}

/**
 * The message storages, set before anything else at every bring-up and after every restart:
 * until this runs, a module that powered up may put new messages into its own memory (ME)
 * by default (Quectel does), where they do not follow the card. SIM storage for reading,
 * writing and receiving.
 */
export const STORAGE_INIT = 'AT+CPMS="SM","SM","SM"';

// PDU mode; new SMS stored with +CMTI; status reports routed directly as +CDS (no second
// memory to forget to read); caller id; registration URCs with cell ids.
const COMMON_INIT = ["AT+CMGF=0", 'AT+CSCS="GSM"', "AT+CNMI=2,1,0,1,0", "AT+CLIP=1", "AT+CREG=2"];

export const GENERIC_PROFILE: VendorProfile = {
  name: "generic",
  matches: () => true,
  init: COMMON_INIT,
  iccidCommands: ["AT+CCID", "AT+ICCID", "AT^ICCID?", "AT+QCCID", "AT+CICCID"],
  ussdRequest: "text",
};

export const PROFILES: readonly VendorProfile[] = [
  {
    name: "huawei",
    matches: (manufacturer) => /huawei/i.test(manufacturer),
    // ^CURC=0 would silence ^RSSI floods on real sticks; the simulator accepts it too.
    init: [...COMMON_INIT, "AT^CURC=0"],
    iccidCommands: ["AT^ICCID?", "AT+CCID"],
    // E1xx sticks take long to answer USSD on busy networks.
    timeouts: { ussd: 30_000 },
    ussdRequest: "packed-gsm7",
  },
  {
    name: "quectel",
    matches: (manufacturer) => /quectel/i.test(manufacturer),
    init: [...COMMON_INIT, "AT+CEREG=2"],
    iccidCommands: ["AT+QCCID", "AT+CCID"],
    ussdRequest: "text",
  },
  {
    name: "simcom",
    matches: (manufacturer) => /simcom/i.test(manufacturer),
    init: COMMON_INIT,
    iccidCommands: ["AT+CCID", "AT+ICCID"],
    ussdRequest: "text",
  },
  GENERIC_PROFILE,
];

export const pickProfile = (manufacturer: string, model: string): VendorProfile =>
  PROFILES.find((p) => p.matches(manufacturer, model)) ?? GENERIC_PROFILE;
