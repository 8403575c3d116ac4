/** SMS commands of 27.005: message format, memories, routing, send, list, read, delete. */
import { decodeSmsPdu, type SmsPdu } from "../../../protocol/sms/decode";
import { splitForSms } from "../../../protocol/sms/encode";
import { textToUcs2Hex } from "../../../protocol/text/charset";
import { splitArgs } from "../command-line";
import { cms, ERROR, OK, ok, type PromptReply, type Reply } from "../reply";
import type { CommandContext, CommandHandler } from "../command-context";
import type { MessageStat, StorageName, StoredMessage } from "../../network/message-store";
import type { SubmittedPart } from "../../network/network";
import { fromTe } from "../te-charset";
import { int, simSmsError } from "./guards";

const STAT_TEXT = ["REC UNREAD", "REC READ", "STO UNSENT", "STO SENT"] as const;
const STORAGES: readonly StorageName[] = ["SM", "ME", "SR"];

const storageOf = (m: CommandContext, which: 0 | 1 | 2) => m.smsStorage(m.settings.cpms[which]);

const alpha = (m: CommandContext) => (m.personality.quotedEmptyAlpha ? '""' : "");

/** yy/MM/dd,hh:mm:ss±zz from a decoded ISO stamp (27.005 text mode <scts>). */
const textStamp = (iso: string | null): string => {
  const match = iso?.match(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)$/);
  if (!match) return "";
  const [, yy, mo, dd, hh, mi, ss, sign, oh, om] = match;
  const quarters = String((Number(oh) * 60 + Number(om)) / 15).padStart(2, "0");
  return `${yy}/${mo}/${dd},${hh}:${mi}:${ss}${sign}${quarters}`;
};

const decodeStored = (message: StoredMessage): SmsPdu | null => {
  const result = decodeSmsPdu(message.pdu, { hasSmsc: true });
  return result.ok ? result.value : null;
};

/** A message as text mode prints it: header fields, then the body in the TE charset. */
const textEntry = (m: CommandContext, message: StoredMessage, prefix: string): string[] => {
  const pdu = decodeStored(message);
  const stat = STAT_TEXT[message.stat];
  if (!pdu) return [`${prefix}"${stat}","",,`, ""];
  const body = pdu.alphabet === "ucs2" ? textToUcs2Hex(pdu.text) : m.te(pdu.text);
  const toa = pdu.number.startsWith("+") ? 145 : 129;
  if (message.kind === "status-report")
    return [`${prefix}"${stat}",6,${pdu.mr ?? 0},"${pdu.number}",${toa},"${textStamp(pdu.scts)}","${textStamp(pdu.discharge)}",${pdu.status ?? 0}`];
  if (pdu.type === "SMS-DELIVER") return [`${prefix}"${stat}","${m.te(pdu.number)}",,"${textStamp(pdu.scts)}"`, body];
  return [`${prefix}"${stat}","${m.te(pdu.number)}",`, body];
};

const markRead = (message: StoredMessage) => {
  if (message.stat === 0) message.stat = 1;
};

/** Which stored messages a +CMGL <stat> selects. */
const selects = (filter: number, message: StoredMessage) => filter === 4 || message.stat === filter;

const parseTextStat = (arg: string | undefined): number | null => {
  const value = (arg ?? "REC UNREAD").toUpperCase();
  if (value === "ALL") return 4;
  const i = STAT_TEXT.indexOf(value as (typeof STAT_TEXT)[number]);
  return i < 0 ? null : i;
};

/** Sends one part through the network; the modem's own message reference comes back. */
const submitPart = (m: CommandContext, part: SubmittedPart): Promise<Reply> | Reply => {
  const injected = m.faults.nextSendError();
  if (injected !== null) return cms(injected);
  const sim = m.sim;
  if (!sim || !m.registered) return cms(331);
  if (!m.smsc) return cms(330);
  const mr = m.nextMr;
  m.nextMr = (m.nextMr + 1) & 0xff;
  return new Promise((resolve) =>
    m.timers.after(m.delays.of("smsSubmitMs"), () => {
      if (!m.registered || m.sim !== sim) return resolve(cms(332));
      m.network.submit(sim, part, mr);
      if (m.faults.sendsWithoutReference > 0) {
        m.faults.sendsWithoutReference--;
        return resolve(ok());
      }
      resolve(ok(`+CMGS: ${mr}`));
    }),
  );
};

const pduBody = (expectedLength: number, body: string): SmsPdu | Reply => {
  const hex = body.trim();
  const decoded = decodeSmsPdu(hex, { hasSmsc: true });
  if (!decoded.ok) return cms(304);
  if (decoded.value.tpduLength !== expectedLength) return cms(304);
  return decoded.value;
};

/** Text mode: one message from a number and the text; a long text is refused as modules do. */
const textSubmit = (m: CommandContext, to: string, body: string): SubmittedPart | Reply => {
  const text = fromTe(body, m.settings.cscs);
  const { alphabet, parts } = splitForSms(text);
  if (parts.length > 1) return cms(305);
  return { number: to, text, alphabet, concat: null, statusReportRequested: (m.settings.csmp[0] & 0x20) !== 0 };
};

const cmgs: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return OK;
  if (cmd.form !== "set") return ERROR;
  const simErr = simSmsError(m);
  if (simErr) return simErr;
  const [first] = splitArgs(cmd.args);
  if (m.settings.cmgf === 0) {
    const length = int(first, 1, 164);
    if (length === null || Number.isNaN(length)) return cms(304);
    return {
      prompt: true,
      onBody: (body) => {
        const pdu = pduBody(length, body);
        if (!("type" in pdu)) return pdu;
        if (pdu.type !== "SMS-SUBMIT") return cms(304);
        return submitPart(m, pdu);
      },
    } satisfies PromptReply;
  }
  const to = fromTe(first ?? "", m.settings.cscs);
  if (!/^\+?[0-9*#]{1,20}$/.test(to)) return cms(305);
  return {
    prompt: true,
    onBody: (body) => {
      const part = textSubmit(m, to, body);
      return "final" in part ? part : submitPart(m, part);
    },
  } satisfies PromptReply;
};

const cmgw: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return OK;
  const simErr = simSmsError(m);
  if (simErr) return simErr;
  const store = storageOf(m, 1);
  if (!store) return cms(310);
  const [first, second] = splitArgs(cmd.args);
  const store2 = store;
  const save = (pdu: string, tpduLength: number, stat: MessageStat): Reply => {
    const stored = store2.add({ stat, pdu, tpduLength, kind: "submit" });
    return stored ? ok(`+CMGW: ${stored.index}`) : cms(322);
  };
  if (m.settings.cmgf === 0) {
    const length = int(first, 1, 164);
    const stat = second === undefined ? 2 : int(second, 0, 3);
    if (length === null || Number.isNaN(length) || stat === null || Number.isNaN(stat)) return cms(304);
    if (store.full) return cms(322);
    return {
      prompt: true,
      onBody: (body) => {
        const pdu = pduBody(length, body);
        return "type" in pdu ? save(body.trim().toUpperCase(), pdu.tpduLength, stat as MessageStat) : pdu;
      },
    };
  }
  return cms(303);
};

const cmss: CommandHandler = (m, cmd) => {
  if (cmd.form !== "set") return cmd.form === "test" ? OK : ERROR;
  const simErr = simSmsError(m);
  if (simErr) return simErr;
  const [indexArg, daArg] = splitArgs(cmd.args);
  const store = storageOf(m, 1);
  const index = int(indexArg, 0, 1_000_000);
  if (!store || index === null || Number.isNaN(index) || !store.validIndex(index)) return cms(321);
  const message = store.get(index);
  if (!message) return cms(321);
  const pdu = decodeStored(message);
  if (!pdu || pdu.type !== "SMS-SUBMIT") return cms(302);
  const part: SubmittedPart = daArg ? { ...pdu, number: fromTe(daArg, m.settings.cscs) } : pdu;
  const sent = submitPart(m, part);
  const finish = (reply: Reply): Reply => {
    if (reply.final !== "OK") return reply;
    message.stat = 3;
    return ok(reply.lines[0]!.replace("+CMGS", "+CMSS"));
  };
  return sent instanceof Promise ? sent.then(finish) : finish(sent);
};

const cmgl: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return m.settings.cmgf === 0 ? ok("+CMGL: (0-4)") : ok('+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")');
  const simErr = simSmsError(m);
  const store = storageOf(m, 0);
  if (!store) return simErr ?? cms(310);
  const [arg] = splitArgs(cmd.args);
  const filter = m.settings.cmgf === 0 ? (cmd.form === "exec" ? 0 : int(arg, 0, 4)) : parseTextStat(cmd.form === "exec" ? undefined : arg);
  if (filter === null || Number.isNaN(filter)) return cms(m.settings.cmgf === 0 ? 304 : 305);
  const lines: string[] = [];
  for (const message of store.list()) {
    if (!selects(filter, message)) continue;
    if (m.settings.cmgf === 0) lines.push(`+CMGL: ${message.index},${message.stat},${alpha(m)},${message.tpduLength}`, message.pdu);
    else lines.push(...textEntry(m, message, `+CMGL: ${message.index},`));
    markRead(message);
  }
  return ok(...lines);
};

const cmgr: CommandHandler = (m, cmd) => {
  if (cmd.form !== "set") return cmd.form === "test" ? OK : ERROR;
  const store = storageOf(m, 0);
  if (!store) return simSmsError(m) ?? cms(310);
  const index = int(splitArgs(cmd.args)[0], 0, 1_000_000);
  if (index === null || Number.isNaN(index) || !store.validIndex(index)) return cms(321);
  const message = store.get(index);
  // An empty slot reads as nothing at all, as Quectel and SIMCom modules answer.
  if (!message) return OK;
  const lines =
    m.settings.cmgf === 0 ? [`+CMGR: ${message.stat},${alpha(m)},${message.tpduLength}`, message.pdu] : textEntry(m, message, "+CMGR: ");
  markRead(message);
  return ok(...lines);
};

const cmgd: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return ok(`+CMGD: (${m.personality.firstIndex}-${m.personality.meCapacity}),(0-4)`);
  if (cmd.form !== "set") return ERROR;
  const store = storageOf(m, 0);
  if (!store) return simSmsError(m) ?? cms(310);
  const [indexArg, flagArg] = splitArgs(cmd.args);
  const index = int(indexArg, 0, 1_000_000);
  const flag = flagArg === undefined ? 0 : int(flagArg, 0, 4);
  if (flag === null || Number.isNaN(flag)) return cms(302);
  if (flag === 0) {
    if (index === null || Number.isNaN(index) || !store.validIndex(index)) return cms(321);
    store.delete(index);
  } else {
    // 27.005 3.5.4: 1 read, 2 read and sent, 3 read, sent and unsent, 4 everything.
    const doomed = { 1: [1], 2: [1, 3], 3: [1, 2, 3], 4: [0, 1, 2, 3] }[flag]!;
    for (const message of store.list()) if (doomed.includes(message.stat)) store.delete(message.index);
  }
  m.storageChanged();
  return OK;
};

const cpms: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return ok(m.personality.cpmsTest);
  if (cmd.form === "read") {
    const parts: string[] = [];
    for (const name of m.settings.cpms) {
      const store = m.smsStorage(name);
      if (!store) return simSmsError(m) ?? cms(310);
      parts.push(`"${name}",${store.used},${store.capacity}`);
    }
    return ok(`+CPMS: ${parts.join(",")}`);
  }
  const names = splitArgs(cmd.args).map((n) => n.toUpperCase());
  if (names.length < 1 || names.length > 3) return cms(302);
  const chosen = [...m.settings.cpms] as [StorageName, StorageName, StorageName];
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as StorageName;
    if (!STORAGES.includes(name) || !m.personality.cpmsTest.includes(`"${name}"`)) return cms(302);
    // SR holds reports only: it can be read but not written or received into.
    if (name === "SR" && i > 0) return cms(302);
    if (!m.smsStorage(name)) return simSmsError(m) ?? cms(310);
    chosen[i] = name;
  }
  m.settings.cpms = chosen;
  const counts = chosen.map((name) => {
    const store = m.smsStorage(name)!;
    return `${store.used},${store.capacity}`;
  });
  return ok(`+CPMS: ${counts.join(",")}`);
};

const cnmi: CommandHandler = (m, cmd) => {
  if (cmd.form === "test") return ok(m.personality.cnmiTest);
  if (cmd.form === "read") return ok(`+CNMI: ${m.settings.cnmi.join(",")}`);
  const values = splitArgs(cmd.args).map((v) => (v === "" ? null : int(v, 0, 3)));
  if (values.length > 5 || values.some((v) => v !== null && Number.isNaN(v))) return cms(302);
  const next = [...m.settings.cnmi] as ModemCnmi;
  values.forEach((v, i) => {
    if (v !== null) next[i] = v;
  });
  m.settings.cnmi = next;
  return OK;
};
type ModemCnmi = [number, number, number, number, number];

export const SMS: Record<string, CommandHandler> = {
  "+CMGF": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CMGF: ${m.settings.cmgf}`);
    if (cmd.form === "test") return ok("+CMGF: (0,1)");
    const v = cmd.form === "exec" ? 0 : int(cmd.args, 0, 1);
    if (v === null || Number.isNaN(v)) return ERROR;
    m.settings.cmgf = v as 0 | 1;
    return OK;
  },
  "+CSMS": (m, cmd) => {
    if (cmd.form === "read") return ok("+CSMS: 0,1,1,1");
    if (cmd.form === "test") return ok("+CSMS: (0,1)");
    void m;
    return ok("+CSMS: 1,1,1");
  },
  "+CSMP": (m, cmd) => {
    if (cmd.form === "read") return ok(`+CSMP: ${m.settings.csmp.join(",")}`);
    if (cmd.form === "test") return OK;
    const values = splitArgs(cmd.args).map((v) => (v === "" ? null : int(v, 0, 255)));
    if (values.some((v) => v !== null && Number.isNaN(v))) return cms(305);
    values.slice(0, 4).forEach((v, i) => {
      if (v !== null) m.settings.csmp[i] = v;
    });
    return OK;
  },
  "+CSCA": (m, cmd) => {
    if (cmd.form === "test") return OK;
    if (cmd.form === "read") {
      const smsc = m.smsc;
      if (!smsc) return simSmsError(m) ?? cms(330);
      return ok(`+CSCA: "${m.te(smsc)}",${smsc.startsWith("+") ? 145 : 129}`);
    }
    const [address] = splitArgs(cmd.args);
    const number = fromTe(address ?? "", m.settings.cscs);
    if (!/^\+?[0-9]{3,20}$/.test(number)) return cms(304);
    m.settings.smscOverride = number;
    return OK;
  },
  "+CPMS": cpms,
  "+CNMI": cnmi,
  // Phase 2 service (+CSMS=0) needs no acknowledgement; a stray +CNMA is accepted.
  "+CNMA": (_m, cmd) => (cmd.form === "test" ? ok("+CNMA: (0-2)") : OK),
  "+CMGS": cmgs,
  "+CMGW": cmgw,
  "+CMSS": cmss,
  "+CMGL": cmgl,
  "+CMGR": cmgr,
  "+CMGD": cmgd,
};
