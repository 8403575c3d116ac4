/**
 * The OpenAPI document of both facades, served at /api/openapi.json: the SimFolder methods
 * (their parameters and payload keys, as in our contract) and the SR-Navigator endpoint.
 */
import { EVENT_TYPES } from "../store/events";
import type { Route } from "./http/router";

type Param = readonly [name: string, description: string, required?: boolean];

const COMMON: Param[] = [["api_key", "the user's API key", true]];
const PAGE: Param[] = [
  ["limit", "page size, default 100, at most 1000"],
  ["offset", "rows to skip"],
  ["after_id", "only ids above this (stable forward paging)"],
  ["from", "unix seconds or ISO-8601"],
  ["to", "unix seconds or ISO-8601"],
  ["device_id", "device ids, comma-separated or a JSON array"],
  ["card_id", "card ids, comma-separated or a JSON array"],
  ["number", "the SIM's own number"],
];
const CARD: Param[] = [["card_id", "the card (or number: the SIM's own number)", true]];

const SIMFOLDER: Record<string, { summary: string; params: Param[]; returns: string }> = {
  version: { summary: "service and API version (no key needed)", params: [], returns: "version" },
  deviceList: { summary: "the user's aggregators", params: [["device_id", "filter"]], returns: "devices" },
  deviceState: { summary: "every modem's state: online, card, signal, registration, operator", params: [["device_id", "filter"]], returns: "modems" },
  cardList: { summary: "SIM cards with place, ICCID, IMSI, number, name, operator, state", params: [...PAGE, ["operator", "operator name"], ["state", "simStatus code -3..6"]], returns: "cards" },
  cardEdit: { summary: "change a card's name, comment or number", params: [...CARD, ["name", ""], ["comment", ""], ["number", ""]], returns: "card" },
  cardSelect: { summary: "bring cards online on their modems (SIM banks switch); CHANNEL_LIMIT when they cannot all be", params: [["card_id", "card ids", true]], returns: "cards" },
  cardDirect: { summary: "the cards a bank rotates through to catch calls and SMS", params: [["card_id", "card ids (empty: all again)", true]], returns: "cards" },
  operatorList: { summary: "operators of the user's cards, with their USSD codes", params: [], returns: "operators" },
  operatorEdit: { summary: "an operator's USSD codes for balance and own number (admin)", params: [["name", "operator name", true], ["balance_ussd", ""], ["number_ussd", ""]], returns: "operator" },
  deviceEdit: { summary: "an aggregator's title", params: [["device_id", "", true], ["title", "", true]], returns: "device" },
  smsSend: { summary: "send an SMS from a card (long texts in parts, as one message)", params: [...CARD, ["addressee", "recipient number", true], ["msg", "text, up to 1530 characters", true], ["report", "1: ask for a delivery report"]], returns: "sms_id" },
  smsList: { summary: "received SMS (whole messages)", params: [...PAGE, ["new", "1: unread only"], ["mark_read", "1: mark what is returned as read"]], returns: "sms" },
  smsDelete: { summary: "delete received SMS", params: [["sms_id", "ids", true]], returns: "deleted" },
  smsOutgoingList: { summary: "sent SMS with status 0 error, 1 sent, 2 delivered", params: PAGE, returns: "sms" },
  smsOutgoingDelete: { summary: "delete sent SMS", params: [["sms_id", "ids", true]], returns: "deleted" },
  ussdSend: { summary: "a USSD code, or the answer in an open session", params: [...CARD, ["code", "digits, * # +", true]], returns: "ussd_id" },
  ussdList: { summary: "USSD requests and their replies", params: PAGE, returns: "ussd" },
  ussdDelete: { summary: "delete USSD records", params: [["ussd_id", "ids", true]], returns: "deleted" },
  atSend: { summary: "an AT command on the card's modem (through its queue)", params: [...CARD, ["command", "one AT line", true]], returns: "at_id" },
  atList: { summary: "AT commands and the modem's responses", params: PAGE, returns: "at" },
  callBegin: { summary: "dial a number from a card", params: [["card_id", "", true], ["number", "number to call", true]], returns: "job_id" },
  callAnswer: { summary: "answer the incoming call on the card's modem", params: CARD, returns: "done" },
  callEnd: { summary: "hang up the card's call", params: CARD, returns: "done" },
  callList: { summary: "incoming calls", params: PAGE, returns: "calls" },
  callDelete: { summary: "delete incoming call records", params: [["call_id", "ids", true]], returns: "deleted" },
  callOutgoingList: { summary: "outgoing calls", params: PAGE, returns: "calls" },
  callOutgoingDelete: { summary: "delete outgoing call records", params: [["call_id", "ids", true]], returns: "deleted" },
  settingsGet: { summary: "notification URL, format, events, signing secret", params: [], returns: "settings" },
  settingsSet: {
    summary: "notification URL, format (form or json), events on (1) or off (0), Telegram chat",
    params: [["url", ""], ["format", "form | json"], ...EVENT_TYPES.map((e): Param => [e, "1 or 0"]), ["telegram_token", ""], ["telegram_chat_id", ""]],
    returns: "settings",
  },
  telegramSend: { summary: "a message to the user's Telegram chat through their bot", params: [["msg", "text", true]], returns: "sent" },
};

const SR_ACTIONS = ["poolRestart", "getAgregators", "getOperators", "getPoolStatus", "getNumbers", "openNumber", "openNumbers", "closeNumber", "getSimStatus", "getLastSms", "getSms", "deleteSms", "clearSimStorage", "sendSms", "getCall", "grabCall", "deleteCall"];

const parameter = ([name, description, required]: Param) => ({ name, in: "query", required: required ?? false, description, schema: { type: "string" } });

export const openApiDocument = (version: string) => ({
  openapi: "3.1.0",
  info: { title: "simgate", version, description: "SimFolder-compatible API under /api/<method>, the SR-Navigator API at /api/handler.php, and the technician's console at /console/." },
  paths: {
    ...Object.fromEntries(
      Object.entries(SIMFOLDER).map(([method, m]) => [
        `/api/${method}`,
        {
          get: {
            operationId: method,
            summary: m.summary,
            parameters: [...(method === "version" ? [] : COMMON), ...m.params].map(parameter),
            description: "Also POST, with the same fields as a form or a JSON object.",
            responses: {
              "200": { description: `{"status":"ok","${m.returns}":...}` },
              "4XX": { description: '{"status":"error","error":"BAD_API_KEY|BAD_METHOD|BAD_PARAM|NOT_FOUND|CARD_NOT_ACTIVE|CHANNEL_LIMIT","message":"..."}' },
              "5XX": { description: '{"status":"error","error":"MODEM_ERROR|DEVICE_OFFLINE|INTERNAL","message":"..."}' },
            },
          },
        },
      ]),
    ),
    "/api/handler.php": {
      get: {
        operationId: "srNavigator",
        summary: "SR-Navigator panel API: every answer HTTP 200, the body a word or JSON",
        parameters: [
          { name: "pool_key", in: "query", required: true, schema: { type: "string" } },
          { name: "action", in: "query", required: true, schema: { type: "string", enum: SR_ACTIONS } },
          ...["number", "device_id", "operator", "position", "phone_exception", "mode", "channels", "sender", "period", "code", "new", "sms_id", "call_id", "recipient", "text", "keep"].map((name) => ({ name, in: "query", required: false, schema: { type: "string" } })),
        ],
        responses: { "200": { description: "DONE, a number, JSON, or an error word (BAD_KEY, BAD_ACTION, NO_NUMBERS, BUSY, ...)" } },
      },
    },
    "/console/ws": {
      get: {
        operationId: "consoleSession",
        summary: "a technician's AT console on one modem, as a WebSocket (messages: src/console/wire.ts, the README's Console section)",
        description:
          "Sign in with Authorization: Bearer <API key> (or x-api-key), or the panel's session cookie from this host's pages (Origin checked). The first frame is hello; each frame is one JSON message.",
        parameters: [
          { name: "device", in: "query", required: false, description: "the device id (with modem)", schema: { type: "string" } },
          { name: "modem", in: "query", required: false, description: "the modem's 1-based position in its device", schema: { type: "integer" } },
          { name: "card", in: "query", required: false, description: "instead: the ICCID or number of the card the modem holds", schema: { type: "string" } },
        ],
        responses: { "101": { description: "the session: hello, then replies, unsolicited codes, lease news" }, "401": { description: "no valid key or session" }, "403": { description: "a panel cookie from another origin" } },
      },
    },
    "/console/batch": {
      post: {
        operationId: "consoleBatch",
        summary: "one plain AT line on many modems (operators and admins); a table of replies",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["command", "modems"],
                properties: {
                  command: { type: "string", description: "one AT line; lines that need a confirmation, delete, send or change settings are refused (NOT_IN_A_BATCH)" },
                  modems: { oneOf: [{ const: "all" }, { type: "array", items: { type: "string", description: "<device>/<modem>" } }] },
                  timeoutMs: { type: "integer", minimum: 1000, maximum: 600000 },
                },
              },
            },
          },
        },
        responses: {
          "200": { description: '{"command":"AT+CSQ","results":[{"device","modem","ok","final","lines","ms","error"}]}' },
          "400": { description: '{"error":"BAD_REQUEST|NOT_IN_A_BATCH","message":"..."}' },
          "403": { description: "viewers watch only" },
        },
      },
    },
  },
});

export const openApiRoutes = (version: string): Route[] => {
  const body = JSON.stringify(openApiDocument(version), null, 2);
  return [
    {
      methods: ["GET", "HEAD"],
      path: "/api/openapi.json",
      handle: (_req, res) => {
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        res.end(body);
      },
    },
  ];
};

/** The SimFolder methods the document describes (a test keeps it and the router in step). */
export const DOCUMENTED_METHODS = Object.keys(SIMFOLDER);
