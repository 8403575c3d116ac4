import type { Personality } from "../modem/personality";
import { GENERIC } from "./generic";
import { HUAWEI_E173 } from "./huawei-e173";
import { QUECTEL_EC25, QUECTEL_EC25_DSIM } from "./quectel-ec25";
import { SIMCOM_SIM800 } from "./simcom-sim800";

export const PERSONALITIES: Readonly<Record<string, Personality>> = Object.fromEntries(
  [GENERIC, HUAWEI_E173, QUECTEL_EC25, QUECTEL_EC25_DSIM, SIMCOM_SIM800].map((p) => [p.name, p]),
);

export const personalityNamed = (name: string): Personality => {
  const p = PERSONALITIES[name];
  if (!p) throw new Error(`unknown personality "${name}" (known: ${Object.keys(PERSONALITIES).join(", ")})`);
  return p;
};
