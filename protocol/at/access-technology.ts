/**
 * Access technology (<AcT>) of +CREG/+CGREG/+CEREG/+C5GREG and +COPS, 27.007 clause 7.3.
 * The names follow ModemManager's, which the vectors use.
 */
export type AccessTechnology =
  | "GSM"
  | "GSM_COMPACT"
  | "UMTS"
  | "EDGE"
  | "HSDPA"
  | "HSUPA"
  | "HSPA"
  | "LTE"
  | "EC_GSM_IOT"
  | "LTE_NB_IOT"
  | "LTE_5GCN"
  | "5GNR"
  | "NG_RAN"
  | "LTE_NR_DUAL"
  | "UNKNOWN";

const BY_CODE: readonly AccessTechnology[] = [
  "GSM",
  "GSM_COMPACT",
  "UMTS",
  "EDGE",
  "HSDPA",
  "HSUPA",
  "HSPA",
  "LTE",
  "EC_GSM_IOT",
  "LTE_NB_IOT",
  "LTE_5GCN",
  "5GNR",
  "NG_RAN",
  "LTE_NR_DUAL",
];

export const accessTechnologyFromCode = (code: number | null): AccessTechnology =>
  code === null ? "UNKNOWN" : (BY_CODE[code] ?? "UNKNOWN");
