/**
 * What makes one modem model differ from another, as data. The modem core and its commands
 * read these fields; a model's own vendor commands are in its Personality (personality.ts).
 */

export type RegistrationFamily = "CREG" | "CGREG" | "CEREG";

export interface ModelTraits {
  readonly name: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly revision: string;
  /** Type allocation code: the first 8 digits of the IMEI. */
  readonly tac: string;
  /** ATI lines; `{imei}` is replaced. */
  readonly ati: readonly string[];
  /** Printed after power-on or a reset, before the SIM is read. */
  readonly bootLines: readonly string[];
  /** Printed once the SIM is ready (e.g. SIMCom's "SMS Ready"). */
  readonly simReadyLines: readonly string[];
  /** Commands that return the ICCID and how each prints it. */
  readonly iccid: Readonly<Record<string, (iccid: string) => string>>;
  /** The first storage index: 0 on Huawei and Quectel, 1 on SIMCom. */
  readonly firstIndex: number;
  readonly meCapacity: number;
  readonly srCapacity: number;
  readonly cpmsTest: string;
  readonly cnmiTest: string;
  readonly charsets: readonly string[];
  readonly defaults: {
    readonly cscs: string;
    readonly cmee: 0 | 1 | 2;
    readonly cnmi: readonly [number, number, number, number, number];
    readonly storage: "SM" | "ME";
  };
  /** How +CUSD replies look. */
  readonly cusd: {
    /** Huawei sticks send and expect GSM 7-bit packed hex instead of text. */
    readonly packedHex: boolean;
    readonly quoteHex: boolean;
    /** Some firmware prints the +CUSD reply before the OK of the request. */
    readonly beforeOk: boolean;
  };
  /** `+CMGL: 0,1,,23` (empty alpha) or `+CMGL: 0,1,"",23` (quoted empty alpha). */
  readonly quotedEmptyAlpha: boolean;
  readonly registration: {
    readonly families: readonly RegistrationFamily[];
    /** Access technology printed with n=2 (27.007 <AcT>: 0 GSM, 2 UTRAN, 7 E-UTRAN); null prints none. */
    readonly act: number | null;
  };
  /** Printed when an outgoing call is answered (Huawei `^CONN:1,0`), if the model does. */
  readonly callConnectedLine?: string;
  /** Huawei prints `^RSSI: n` whenever the signal changes. */
  readonly rssiUrc?: boolean;
  /** Two SIM slots switched with AT+QDSIM (Quectel dual-SIM variants). */
  readonly dualSim?: boolean;
  /** Where each trait comes from. */
  readonly sources: readonly string[];
}
