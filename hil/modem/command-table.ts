/** The command table every virtual modem starts from; personalities add their own. */
import { CALLS } from "./commands/calls";
import { GENERAL } from "./commands/general";
import { NETWORK } from "./commands/network";
import { SMS } from "./commands/sms";
import { USSD } from "./commands/ussd";
import type { CommandHandler } from "./command-context";

export const COMMANDS: Readonly<Record<string, CommandHandler>> = { ...GENERAL, ...NETWORK, ...SMS, ...USSD, ...CALLS };
