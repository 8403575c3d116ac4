/** A mobile operator of the virtual network: its names, SMS centre and USSD services. */

/** A USSD menu level: the text shown, and the replies it accepts (a leaf ends the session). */
export interface UssdMenu {
  readonly text: string;
  readonly options?: Readonly<Record<string, UssdMenu>>;
}

export type UssdService =
  | { readonly kind: "balance" }
  | { readonly kind: "own-number" }
  | { readonly kind: "reply"; readonly text: string }
  | { readonly kind: "menu"; readonly menu: UssdMenu }
  /** The network releases the request with this text (+CUSD: 2), as operators do when busy. */
  | { readonly kind: "error"; readonly text: string };

export interface OperatorSpec {
  readonly id: string;
  readonly name: string;
  readonly shortName: string;
  /** MCC and MNC, e.g. "00101". */
  readonly mccmnc: string;
  readonly smsc: string;
  readonly currency?: string;
  /** Service codes such as `*100#`; an unknown code gets +CUSD: 4 (not supported). */
  readonly ussd: Readonly<Record<string, UssdService>>;
}

export const defaultUssdServices = (): Record<string, UssdService> => ({
  "*100#": { kind: "balance" },
  "*111*0887#": { kind: "own-number" },
  "*123#": {
    kind: "menu",
    menu: {
      text: "Main menu\n1. Balance\n2. Tariffs\n0. Exit",
      options: {
        "1": { text: "Balance: see *100#" },
        "2": {
          text: "Tariffs\n1. Basic\n2. Unlimited\n0. Back",
          options: { "1": { text: "Basic: 1.00 per SMS" }, "2": { text: "Unlimited: 10.00 per day" } },
        },
        "0": { text: "Goodbye" },
      },
    },
  },
  "*999#": { kind: "error", text: "Service temporarily unavailable. Please try later." },
});

/** Three operators on the 3GPP test network code 001, used when a farm names none. */
export const defaultOperators = (): OperatorSpec[] => [
  { id: "simnet", name: "Simnet", shortName: "SIMNET", mccmnc: "00101", smsc: "+10010000001", currency: "USD", ussd: defaultUssdServices() },
  { id: "lumen", name: "Lumen Mobile", shortName: "LUMEN", mccmnc: "00102", smsc: "+10020000001", currency: "EUR", ussd: defaultUssdServices() },
  { id: "orbit", name: "Orbit Telecom", shortName: "ORBIT", mccmnc: "00103", smsc: "+10030000001", currency: "RUB", ussd: defaultUssdServices() },
];
