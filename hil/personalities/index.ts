import type { Personality } from "../modem/personality";
import { GENERIC } from "./generic";
import { HUAWEI_E173 } from "./huawei-e173";
import { QUECTEL_EC25, QUECTEL_EC25_DSIM } from "./quectel-ec25";
import { SIERRA_MC7710 } from "./sierra-mc7710";
import { SIMCOM_SIM800 } from "./simcom-sim800";
import { TELIT_HE910 } from "./telit-he910";
import { UBLOX_SARA_U201 } from "./ublox-sara-u201";
import { ZTE_MF190 } from "./zte-mf190";

export const PERSONALITIES: Readonly<Record<string, Personality>> = Object.fromEntries(
  [GENERIC, HUAWEI_E173, QUECTEL_EC25, QUECTEL_EC25_DSIM, SIMCOM_SIM800, ZTE_MF190, SIERRA_MC7710, TELIT_HE910, UBLOX_SARA_U201].map((p) => [p.name, p]),
);

export const personalityNamed = (name: string): Personality => {
  const p = PERSONALITIES[name];
  if (!p) throw new Error(`unknown personality "${name}" (known: ${Object.keys(PERSONALITIES).join(", ")})`);
  return p;
};
