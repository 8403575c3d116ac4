/**
 * The OpenAPI document of both facades, served at /api/openapi.json: the SimFolder methods
 * and the SR-Navigator endpoint. What each takes is derived from the Schemas that decode
 * their parameters (JSONSchema.make), so the document cannot say other than the code does;
 * what is written here is what a Schema cannot know: summaries, payload keys, responses.
 */
import { JSONSchema, type Schema } from "effect";
import type { Route } from "./http/router";
import { METHODS } from "./simfolder/methods";
import { ACTION_PARAMS } from "./srnav/params";

/** What each method is for and the key its payload comes under. */
const SIMFOLDER: Record<string, { summary: string; returns: string }> = {
  version: { summary: "service and API version (no key needed)", returns: "version" },
  deviceList: { summary: "the user's aggregators", returns: "devices" },
  deviceState: { summary: "every modem's state: online, card, signal, registration, operator", returns: "modems" },
  cardList: { summary: "SIM cards with place, ICCID, IMSI, number, name, operator, state", returns: "cards" },
  cardEdit: { summary: "change a card's name, comment or number", returns: "card" },
  cardSelect: { summary: "bring cards online on their modems (SIM banks switch); CHANNEL_LIMIT when they cannot all be", returns: "cards" },
  cardDirect: { summary: "the cards a bank rotates through to catch calls and SMS", returns: "cards" },
  operatorList: { summary: "operators of the user's cards, with their USSD codes", returns: "operators" },
  operatorEdit: { summary: "an operator's USSD codes for balance and own number (admin)", returns: "operator" },
  deviceEdit: { summary: "an aggregator's title", returns: "device" },
  smsSend: { summary: "send an SMS from a card (long texts in parts, as one message)", returns: "sms_id" },
  smsList: { summary: "received SMS (whole messages)", returns: "sms" },
  smsDelete: { summary: "delete received SMS", returns: "deleted" },
  smsOutgoingList: { summary: "sent SMS with status 0 error, 1 sent, 2 delivered", returns: "sms" },
  smsOutgoingDelete: { summary: "delete sent SMS", returns: "deleted" },
  ussdSend: { summary: "a USSD code, or the answer in an open session", returns: "ussd_id" },
  ussdList: { summary: "USSD requests and their replies", returns: "ussd" },
  ussdDelete: { summary: "delete USSD records", returns: "deleted" },
  atSend: { summary: "an AT command on the card's modem (through its queue)", returns: "at_id" },
  atList: { summary: "AT commands and the modem's responses", returns: "at" },
  callBegin: { summary: "dial a number from a card", returns: "job_id" },
  callAnswer: { summary: "answer the incoming call on the card's modem", returns: "done" },
  callEnd: { summary: "hang up the card's call", returns: "done" },
  callList: { summary: "incoming calls", returns: "calls" },
  callDelete: { summary: "delete incoming call records", returns: "deleted" },
  callOutgoingList: { summary: "outgoing calls", returns: "calls" },
  callOutgoingDelete: { summary: "delete outgoing call records", returns: "deleted" },
  settingsGet: { summary: "notification URL, format, events, signing secret", returns: "settings" },
  settingsSet: { summary: "notification URL, format (form or json), events on (1) or off (0), Telegram chat", returns: "settings" },
  telegramSend: { summary: "a message to the user's Telegram chat through their bot", returns: "sent" },
};

type JsonSchemaObject = { properties?: Record<string, Record<string, unknown>>; required?: readonly string[]; anyOf?: readonly { required?: readonly string[] }[] };

export interface QueryParameter {
  readonly name: string;
  readonly in: "query";
  readonly required: boolean;
  readonly description: string;
  readonly schema: Record<string, unknown>;
}

/**
 * The query parameters a parameter Struct describes: one per field, required when the
 * Struct requires it, the field's description lifted to the parameter. A field that is one
 * of several ways to name the same thing (card_id or number) is not required by itself.
 */
export const queryParameters = (params: Schema.Schema<any, any>): QueryParameter[] => {
  const json = JSONSchema.make(params) as JsonSchemaObject;
  return Object.entries(json.properties ?? {}).map(([name, { description, ...schema }]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    description: typeof description === "string" ? description : "",
    schema,
  }));
};

const API_KEY: QueryParameter = { name: "api_key", in: "query", required: true, description: "the user's API key", schema: { type: "string" } };

/** Every parameter some SR-Navigator action reads, once, in the order the actions list them. */
const srNavigatorParameters = (): QueryParameter[] => {
  const seen = new Map<string, QueryParameter>();
  for (const schema of Object.values(ACTION_PARAMS)) for (const p of queryParameters(schema)) if (!seen.has(p.name)) seen.set(p.name, { ...p, required: false });
  return [...seen.values()];
};

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
            parameters: [...(method === "version" ? [] : [API_KEY]), ...queryParameters(METHODS[method]!.params)],
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
          { name: "action", in: "query", required: true, schema: { type: "string", enum: Object.keys(ACTION_PARAMS) } },
          ...srNavigatorParameters(),
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
