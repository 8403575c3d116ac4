/**
 * The SimFolder methods (../shared/specs/simfolder-notes.md, "Parameter and payload names").
 * Each checks its parameters first (BAD_PARAM names the parameter, nothing is written), sees
 * only the user's devices and cards, and acts on the real modem path: sends and USSD and AT
 * go through the durable jobs, selections through the scheduler.
 *
 * This table assembles them from the modules beside it, one per resource. Each method
 * declares the Schema of its parameters beside it (params.ts holds the shared fields); the
 * OpenAPI document is derived from those Schemas. scope.ts narrows every read to the user's
 * own devices and cards; errors.ts maps failures to the API's codes and HTTP statuses.
 */
import { Schema } from "effect";
import { atList, atSend } from "./at";
import { callAnswer, callBegin, callDelete, callEnd, callList, callOutgoingDelete, callOutgoingList } from "./calls";
import { cardDirect, cardEdit, cardList, cardSelect } from "./cards";
import { method, type Method } from "./context";
import { deviceEdit, deviceList, deviceState } from "./devices";
import { operatorEdit, operatorList } from "./operators";
import { settingsGet, settingsSet } from "./settings";
import { smsDelete, smsList, smsOutgoingDelete, smsOutgoingList, smsSend } from "./sms";
import { telegramSend } from "./telegram";
import { ussdDelete, ussdList, ussdSend } from "./ussd";

export type { Method, SimFolderContext, SimFolderSetup, User } from "./context";
export { ApiError } from "./errors";
export type { Params } from "./params";
export { OnAnotherHost } from "./calls";

// In the order `version` lists them.
export const METHODS: Record<string, Method> = {
  version: method(Schema.Struct({}), async (ctx) => ({ version: ctx.version, api: "simfolder", methods: Object.keys(METHODS) })),
  deviceList,
  deviceState,
  cardList,
  cardEdit,
  cardSelect,
  cardDirect,
  deviceEdit,
  operatorEdit,
  telegramSend,
  operatorList,
  smsSend,
  smsList,
  smsDelete,
  smsOutgoingList,
  smsOutgoingDelete,
  ussdSend,
  ussdList,
  ussdDelete,
  atSend,
  atList,
  callBegin,
  callAnswer,
  callEnd,
  callList,
  callOutgoingList,
  callDelete,
  callOutgoingDelete,
  settingsGet,
  settingsSet,
};
