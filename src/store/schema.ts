/** The store's tables as kysely sees them (kept in step with the migrations). */
import type { ColumnType, Generated } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface SmsPartsTable {
  id: Generated<number>;
  iccid: string;
  sender: string;
  pdu: string;
  pdu_hash: string;
  text: string;
  concat_ref: number | null;
  seq: number;
  total: number;
  sent_at: NullableTimestamp;
  received_at: Generated<Date>;
  message_id: number | null;
}

export interface SmsInTable {
  id: Generated<number>;
  iccid: string;
  key: string;
  sender: string;
  text: string;
  parts: number;
  missing: ColumnType<number[], number[] | undefined, number[]>;
  sent_at: NullableTimestamp;
  received_at: Generated<Date>;
  read_at: NullableTimestamp;
}

export interface SmsOutTable {
  id: Generated<number>;
  iccid: string | null;
  addressee: string;
  text: string;
  status_report: Generated<boolean>;
  state: Generated<string>;
  outcome: number | null;
  error: string | null;
  modem_error: number | null;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
}

export interface SmsOutPartsTable {
  id: Generated<number>;
  sms_id: number;
  seq: number;
  mr: number | null;
  report_status: number | null;
  reported_at: NullableTimestamp;
}

export interface UssdTable {
  id: Generated<number>;
  iccid: string;
  request: string;
  reply: string | null;
  raw: string | null;
  status: string | null;
  state: Generated<string>;
  created_at: Generated<Date>;
  answered_at: NullableTimestamp;
}

export interface CallsTable {
  id: Generated<number>;
  iccid: string;
  direction: string;
  number: string | null;
  state: string;
  started_at: Timestamp;
  answered_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  end_reason: string | null;
  read_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: ColumnType<unknown, string, string>;
  state: Generated<string>;
  attempts: Generated<number>;
  run_after: Timestamp;
  locked_until: NullableTimestamp;
  last_error: string | null;
  created_at: Generated<Date>;
  /** The host whose worker claimed it last. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DevicesTable {
  id: Generated<number>;
  key: string | null;
  title: string;
  model: string;
  channels: Generated<number>;
  owner: string | null;
  config: ColumnType<unknown, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface SimCardsTable {
  id: Generated<number>;
  device_id: number | null;
  place: string | null;
  iccid: string;
  imsi: string | null;
  number: string | null;
  name: string | null;
  operator_id: number | null;
  operator: string | null;
  balance: string | null;
  state: Generated<number>;
  comment: string | null;
  updated_at: Generated<Date>;
  last_seen_at: NullableTimestamp;
  /** When the balance was read (0015). */
  balance_at: NullableTimestamp;
  /** Forgotten by hand (0018): out of the lists until a scan reads the card again. */
  forgotten_at: NullableTimestamp;
}

export interface ApiUsersTable {
  id: Generated<number>;
  name: string;
  key_hash: string;
  secret: Generated<string>;
  created_at: Generated<Date>;
  role: Generated<"admin" | "operator" | "viewer">;
  password_hash: string | null;
  locale: string | null;
  /** Set while an admin has the user disabled (0019): no sign-in, no API key. */
  disabled_at: NullableTimestamp;
}

/** A signed-in panel session; `id` is the SHA-256 of the cookie's token. */
export interface PanelSessionsTable {
  id: string;
  user_id: number;
  csrf: string;
  address: string | null;
  created_at: Generated<Date>;
  last_seen_at: Timestamp;
}

export interface LoginAttemptsTable {
  id: Generated<number>;
  user_name: string;
  address: string;
  ok: boolean;
  at: Generated<Date>;
}

/** What someone did in the panel (or to users from the shell). */
export interface AuditLogTable {
  id: Generated<number>;
  at: Generated<Date>;
  user_name: string;
  address: string | null;
  action: string;
  device: string | null;
  position: string | null;
  iccid: string | null;
  detail: ColumnType<unknown, string | undefined, string>;
}

export interface PoolsTable {
  id: Generated<number>;
  title: string;
  key_hash: string;
  filter: ColumnType<unknown, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface PoolCardsTable {
  pool_id: number;
  iccid: string;
  used: Generated<boolean>;
  processed: Generated<boolean>;
  calls: Generated<boolean>;
  opened_at: NullableTimestamp;
}

export interface EventsTable {
  id: Generated<number>;
  /** The writing transaction's id: the feed's order (src/events/feed.ts). */
  txid: Generated<number>;
  type: string;
  device: string | null;
  iccid: string | null;
  payload: ColumnType<unknown, string, string>;
  at: Generated<Date>;
}

export interface SettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
}

export interface AtLogTable {
  id: Generated<number>;
  modem_id: number | null;
  iccid: string | null;
  command: string;
  response: string;
  state: Generated<string>;
  created_at: Generated<Date>;
  answered_at: NullableTimestamp;
}

export interface OutboxTable {
  id: Generated<number>;
  event: string;
  payload: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  delivered_at: NullableTimestamp;
  last_error: string | null;
  user_id: number | null;
  event_id: number | null;
  /** While a notifier is posting it (0021). */
  sending_until: NullableTimestamp;
}

export interface OperatorsTable {
  id: Generated<number>;
  name: string;
  short_name: string | null;
  mccmnc: string | null;
  balance_ussd: string | null;
  number_ussd: string | null;
}

/** Which card was on which modem, from when to when (as far as simgate saw). */
export interface ModemCardsTable {
  id: Generated<number>;
  device: string;
  modem: number;
  iccid: string;
  first_seen: Generated<Date>;
  last_seen: Generated<Date>;
}

/** When a modem's storage was last read to its end with nothing left behind. */
export interface ModemSweepsTable {
  device: string;
  modem: number;
  storage: string;
  emptied_at: Timestamp;
}

/** A received message whose card could not be decided, with the evidence. */
export interface SmsUnattributedTable {
  id: Generated<number>;
  device: string;
  modem: number;
  storage: string;
  sender: string;
  text: string;
  pdu: string;
  pdu_hash: string;
  sent_at: NullableTimestamp;
  received_at: Generated<Date>;
  window_start: NullableTimestamp;
  candidates: ColumnType<string[], string[] | undefined, string[]>;
  reason: string;
}

/** Every status report received, matched to its message's part or not. */
export interface SmsReportsTable {
  id: Generated<number>;
  iccid: string | null;
  mr: number;
  recipient: string;
  status: number;
  discharged_at: NullableTimestamp;
  received_at: Generated<Date>;
  pdu: string;
  sms_id: number | null;
  seq: number | null;
}

/** A client's hold on a bank position, kept across restarts. */
export interface HoldsTable {
  device: string;
  position: string;
  holder: string;
  created_at: Generated<Date>;
  /** requested, connecting, online or failed: as the host that drives the device wrote it. */
  state: Generated<string>;
  modem: number | null;
  error: string | null;
  updated_at: Generated<Date>;
}

export interface HostsTable {
  id: string;
  version: string;
  started_at: Generated<Date>;
  heartbeat_at: Generated<Date>;
  /** Where other hosts reach its HTTP server (0022). */
  url: string | null;
}

/** Which host drives a device. */
export interface DeviceHostsTable {
  device: string;
  host: string;
  claimed_at: Generated<Date>;
}

/** One part of an outgoing SMS handed to a modem: before the modem answered, and after. */
export interface SmsSubmitsTable {
  sms_id: number;
  seq: number;
  host: string;
  started_at: Generated<Date>;
  finished_at: NullableTimestamp;
  mr: number | null;
  error: string | null;
}

/** A modem's live state, as the host that drives it last wrote it. */
export interface ModemStateTable {
  device: string;
  modem: number;
  host: string;
  connected: boolean;
  sim_status: number;
  iccid: string | null;
  number: string | null;
  operator: string | null;
  registration: string | null;
  signal_dbm: number | null;
  updated_at: Generated<Date>;
  /** The last hour's signal, [unix seconds, dBm or null] pairs (0014). */
  signal_history: ColumnType<Array<[number, number | null]>, string | undefined, string>;
}

/** Messages in and out per closed hour and device (0: a card on no device), 0014. */
export interface SmsHoursTable {
  hour: Date;
  device_id: number;
  received: number;
  sent: number;
}

/** A modem taken by one user's console for a while (0023). */
export interface ConsoleLeasesTable {
  device: string;
  modem: number;
  user_id: number;
  holder: string;
  taken_at: Generated<Date>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** A line typed into a console session, with the modem's reply (0023). */
export interface ConsoleLinesTable {
  id: Generated<string>;
  user_id: number | null;
  user_name: string;
  device: string;
  modem: number;
  iccid: string | null;
  command: string;
  outcome: "ok" | "error" | "failed" | "refused" | "unconfirmed";
  reply: string | null;
  at: Generated<Date>;
  ms: number | null;
}

export interface ConsoleButtonsTable {
  user_id: number;
  buttons: ColumnType<string[], string, string>;
}

export interface Database {
  console_leases: ConsoleLeasesTable;
  console_lines: ConsoleLinesTable;
  console_buttons: ConsoleButtonsTable;
  panel_sessions: PanelSessionsTable;
  login_attempts: LoginAttemptsTable;
  audit_log: AuditLogTable;
  modem_state: ModemStateTable;
  sms_hours: SmsHoursTable;
  hosts: HostsTable;
  device_hosts: DeviceHostsTable;
  sms_submits: SmsSubmitsTable;
  holds: HoldsTable;
  sms_reports: SmsReportsTable;
  modem_cards: ModemCardsTable;
  modem_sweeps: ModemSweepsTable;
  sms_unattributed: SmsUnattributedTable;
  operators: OperatorsTable;
  outbox: OutboxTable;
  at_log: AtLogTable;
  devices: DevicesTable;
  sim_cards: SimCardsTable;
  api_users: ApiUsersTable;
  pools: PoolsTable;
  pool_cards: PoolCardsTable;
  events: EventsTable;
  settings: SettingsTable;
  sms_parts: SmsPartsTable;
  sms_in: SmsInTable;
  sms_out: SmsOutTable;
  sms_out_parts: SmsOutPartsTable;
  jobs: JobsTable;
  ussd: UssdTable;
  calls: CallsTable;
}
