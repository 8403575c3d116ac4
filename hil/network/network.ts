/**
 * The virtual GSM network behind the simulated modems: it knows every SIM, routes SMS between
 * them and from injected senders, answers USSD, connects calls, and remembers everything the
 * modems sent so tests and rigs can check it.
 */
import { Reassembler } from "../../protocol/sms/reassembly";
import { splitForSms } from "../../protocol/sms/encode";
import type { Delays, TimerSet } from "../timing";
import { buildDeliver, buildStatusReport, type BuiltPdu } from "./pdu-builder";
import { defaultOperators, type OperatorSpec, type UssdMenu, type UssdService } from "./operator";
import { numberKey, SimCard, type SimCardSpec } from "./sim-card";
import { NetworkCall, type CallEndReason, type ExternalCallBehaviour } from "./calls";

/** One SMS part as the network hands it to the modem serving the recipient's SIM. */
export interface DeliveredPart extends BuiltPdu {
  readonly flash: boolean;
}

/** What a modem offers the network while it is registered with a SIM. */
export interface SubscriberEndpoint {
  /** Returns false when the modem cannot take it now (memory full): the network retries later. */
  deliverSms(part: DeliveredPart): boolean;
  deliverStatusReport(report: BuiltPdu): void;
  /** A call this subscriber takes part in changed state. */
  callUpdate(call: NetworkCall): void;
  /** A USSD message from the network: status as in +CUSD (0 done, 1 more expected, 2 released, 4 not supported). */
  ussdFromNetwork(status: number, text: string): void;
}

/** One submitted part as the SMSC reads it (a decoded SMS-SUBMIT, or a text-mode send). */
export interface SubmittedPart {
  readonly number: string;
  readonly text: string;
  readonly alphabet: string;
  readonly concat: { readonly ref: number; readonly seq: number; readonly total: number; readonly refBits?: 8 | 16 } | null;
  readonly statusReportRequested: boolean;
}

/** An SMS the network accepted from a modem, reassembled when it came in parts. */
export interface SubmittedMessage {
  readonly id: number;
  readonly fromIccid: string;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly parts: number;
  readonly missing: readonly number[];
  readonly statusReport: boolean;
  readonly at: string;
}

/** An SMS injected into the network for a SIM, and how far its parts got. */
export interface InjectedMessage {
  readonly id: number;
  readonly to: string;
  readonly from: string;
  readonly text: string;
  readonly parts: number;
  delivered: number;
}

export interface InjectSmsRequest {
  readonly to: string;
  readonly from: string;
  readonly text: string;
  readonly flash?: boolean;
  /** Deliver only these parts (1-based), in this order: missing and out-of-order parts. */
  readonly onlyParts?: readonly number[];
}

interface PendingPart {
  readonly part: DeliveredPart;
  readonly onDelivered?: () => void;
}

interface UssdSession {
  node: UssdMenu;
  cancelTimeout: () => void;
}

export interface NetworkOptions {
  readonly operators?: readonly OperatorSpec[];
  readonly sims: readonly SimCardSpec[];
  readonly delays: Delays;
  readonly timers: TimerSet;
  /** The SMSC's clock offset printed in time stamps. */
  readonly offsetMinutes?: number;
}

export class NetworkError extends Error {}

export class VirtualNetwork {
  readonly operators = new Map<string, OperatorSpec>();
  readonly sims = new Map<string, SimCard>();
  private readonly byNumber = new Map<string, SimCard>();
  private readonly attached = new Map<string, SubscriberEndpoint>();
  private readonly pending = new Map<string, PendingPart[]>();
  private readonly reassembler = new Reassembler();
  private readonly ussdSessions = new Map<string, UssdSession>();
  private readonly externalCalls = new Map<string, ExternalCallBehaviour>();
  private readonly concatRefs = new Map<string, number>();
  private nextId = 1;
  readonly submitted: SubmittedMessage[] = [];
  readonly injected: InjectedMessage[] = [];
  readonly calls: NetworkCall[] = [];
  readonly delays: Delays;
  readonly timers: TimerSet;
  readonly offsetMinutes: number;

  constructor(options: NetworkOptions) {
    for (const op of options.operators ?? defaultOperators()) this.operators.set(op.id, op);
    this.delays = options.delays;
    this.timers = options.timers;
    this.offsetMinutes = options.offsetMinutes ?? 0;
    for (const spec of options.sims) this.addSim(spec);
  }

  addSim(spec: SimCardSpec): SimCard {
    if (!this.operators.has(spec.operator)) throw new NetworkError(`SIM ${spec.iccid}: unknown operator "${spec.operator}"`);
    if (this.sims.has(spec.iccid)) throw new NetworkError(`SIM ${spec.iccid} is defined twice`);
    if (this.byNumber.has(numberKey(spec.number))) throw new NetworkError(`number ${spec.number} is defined twice`);
    const sim = new SimCard(spec);
    this.sims.set(spec.iccid, sim);
    this.byNumber.set(numberKey(spec.number), sim);
    return sim;
  }

  simByNumber(number: string): SimCard | undefined {
    return this.byNumber.get(numberKey(number));
  }

  operatorOf(sim: SimCard): OperatorSpec {
    return this.operators.get(sim.spec.operator)!;
  }

  /** The endpoint (modem) currently serving a SIM, if it is registered. */
  servingEndpoint(sim: SimCard): SubscriberEndpoint | undefined {
    return this.attached.get(sim.iccid);
  }

  // ---- registration ------------------------------------------------------------------------

  attach(sim: SimCard, endpoint: SubscriberEndpoint): void {
    this.attached.set(sim.iccid, endpoint);
    this.flushPending(sim);
  }

  detach(sim: SimCard, endpoint: SubscriberEndpoint): void {
    if (this.attached.get(sim.iccid) !== endpoint) return;
    this.attached.delete(sim.iccid);
    this.ussdSessions.get(sim.iccid)?.cancelTimeout();
    this.ussdSessions.delete(sim.iccid);
    for (const call of this.calls) if (call.involves(sim.iccid) && call.state !== "ended") this.endCall(call, "network");
  }

  /** The modem freed memory: hand over what the SMSC kept waiting. */
  retryPending(sim: SimCard): void {
    this.flushPending(sim);
  }

  private flushPending(sim: SimCard): void {
    const queue = this.pending.get(sim.iccid);
    const endpoint = this.attached.get(sim.iccid);
    if (!queue || !endpoint) return;
    while (queue.length > 0) {
      const entry = queue[0]!;
      if (!endpoint.deliverSms(entry.part)) return;
      queue.shift();
      entry.onDelivered?.();
    }
    this.pending.delete(sim.iccid);
  }

  // ---- SMS to a SIM ------------------------------------------------------------------------

  /** Injects an SMS from any sender (a number or an alphanumeric name) to a SIM's number. */
  sendSms(request: InjectSmsRequest): InjectedMessage {
    const sim = this.simByNumber(request.to);
    if (!sim) throw new NetworkError(`no SIM has the number ${request.to}`);
    if (request.text.length === 0) throw new NetworkError("the text is empty");
    const { alphabet, parts } = splitForSms(request.text);
    const total = parts.length;
    const ref = this.nextConcatRef(request.from);
    const message: InjectedMessage = { id: this.nextId++, to: sim.number, from: request.from, text: request.text, parts: total, delivered: 0 };
    this.injected.push(message);
    const op = this.operatorOf(sim);
    const at = new Date();
    const order = request.onlyParts ?? parts.map((_, i) => i + 1);
    for (const seq of order) {
      const i = seq - 1;
      const text = parts[i];
      if (text === undefined) throw new NetworkError(`part ${seq} does not exist (the text has ${total} parts)`);
      const built = buildDeliver({
        smsc: op.smsc,
        from: request.from,
        text,
        alphabet,
        at,
        offsetMinutes: this.offsetMinutes,
        ...(total > 1 ? { concat: { ref, seq: i + 1, total } } : {}),
        ...(request.flash ? { flash: true } : {}),
      });
      this.timers.after(this.delays.of("smsDeliveryMs"), () => this.deliverPart(sim, { ...built, flash: request.flash ?? false }, () => message.delivered++));
    }
    return message;
  }

  private nextConcatRef(sender: string): number {
    const ref = ((this.concatRefs.get(sender) ?? 0) + 1) & 0xff;
    this.concatRefs.set(sender, ref);
    return ref;
  }

  private deliverPart(sim: SimCard, part: DeliveredPart, onDelivered?: () => void): void {
    const endpoint = this.attached.get(sim.iccid);
    // Parts keep their order: while older ones wait, a new one waits behind them.
    if (endpoint && !this.pending.has(sim.iccid) && endpoint.deliverSms(part)) {
      onDelivered?.();
      return;
    }
    // Not registered, or memory full: the SMSC keeps it and retries (flushPending).
    const queue = this.pending.get(sim.iccid) ?? [];
    queue.push({ part, ...(onDelivered ? { onDelivered } : {}) });
    this.pending.set(sim.iccid, queue);
  }

  /** Parts the SMSC holds for a SIM (not registered, or its memory was full). */
  pendingFor(sim: SimCard): number {
    return this.pending.get(sim.iccid)?.length ?? 0;
  }

  // ---- SMS from a modem --------------------------------------------------------------------

  /**
   * Accepts one submitted part. Returns when the SMSC has it; status reports follow on their
   * own. Parts of one message are joined before the message is recorded.
   */
  /** Long messages from the farm's SIMs with parts still missing: `sender` is `<iccid>>number`. */
  incompleteSubmits(): { readonly sender: string; readonly ref: number; readonly text: string; readonly missing: readonly number[] }[] {
    return this.reassembler.waiting().map((g) => ({ sender: g.sender, ref: g.ref, text: g.text, missing: g.missing }));
  }

  submit(fromSim: SimCard, pdu: SubmittedPart, mr: number): void {
    const to = pdu.number;
    const now = Date.now();
    const part = pdu.concat
      ? { ref: pdu.concat.ref, seq: pdu.concat.seq, total: pdu.concat.total, refBits: pdu.concat.refBits ?? 8 }
      : { ref: 0, seq: 1, total: 1, refBits: 8 as const };
    const outcome = this.reassembler.add({ sender: `${fromSim.iccid}>${numberKey(to)}`, ...part, text: pdu.text, receivedAt: now });
    if (outcome.kind === "complete") {
      this.submitted.push({
        id: this.nextId++,
        fromIccid: fromSim.iccid,
        from: fromSim.number,
        to,
        text: outcome.message.text,
        parts: outcome.message.total,
        missing: outcome.message.missing,
        statusReport: pdu.statusReportRequested,
        at: new Date(outcome.message.firstReceivedAt).toISOString(),
      });
    }
    const submittedAt = new Date(now);
    const recipient = this.simByNumber(to);
    const report = () => {
      if (!pdu.statusReportRequested) return;
      this.timers.after(this.delays.of("statusReportMs"), () => {
        const op = this.operatorOf(fromSim);
        this.attached.get(fromSim.iccid)?.deliverStatusReport(
          buildStatusReport({ smsc: op.smsc, mr, recipient: to, submittedAt, dischargedAt: new Date(), offsetMinutes: this.offsetMinutes, status: 0 }),
        );
      });
    };
    if (!recipient) {
      report();
      return;
    }
    // Between simulated SIMs the SMSC forwards each part as it came.
    const op = this.operatorOf(recipient);
    const built = buildDeliver({
      smsc: op.smsc,
      from: fromSim.number,
      text: pdu.text,
      alphabet: pdu.alphabet === "ucs2" ? "ucs2" : "gsm7",
      at: submittedAt,
      offsetMinutes: this.offsetMinutes,
      ...(pdu.concat ? { concat: { ref: pdu.concat.ref & 0xff, seq: pdu.concat.seq, total: pdu.concat.total } } : {}),
    });
    this.timers.after(this.delays.of("smsDeliveryMs"), () => this.deliverPart(recipient, { ...built, flash: false }, report));
  }

  // ---- USSD --------------------------------------------------------------------------------

  /** A USSD string from a SIM: a new request, or the answer to an open menu. */
  ussd(sim: SimCard, text: string): void {
    const endpoint = () => this.attached.get(sim.iccid);
    const reply = (status: number, body: string): void => {
      this.timers.after(this.delays.of("ussdMs"), () => endpoint()?.ussdFromNetwork(status, body));
    };
    const session = this.ussdSessions.get(sim.iccid);
    if (session) {
      session.cancelTimeout();
      this.ussdSessions.delete(sim.iccid);
      const next = session.node.options?.[text.trim()];
      if (!next) return reply(0, `Unknown choice "${text}"`);
      return this.showMenu(sim, next, reply);
    }
    const service: UssdService | undefined = this.operatorOf(sim).ussd[text.trim()];
    if (!service) return reply(4, "");
    switch (service.kind) {
      case "balance":
        return reply(0, `Balance: ${sim.balance.toFixed(2)} ${this.operatorOf(sim).currency ?? ""}`.trimEnd());
      case "own-number":
        return reply(0, `Your number is ${sim.number}`);
      case "reply":
        return reply(0, service.text);
      case "error":
        return reply(2, service.text);
      case "menu":
        return this.showMenu(sim, service.menu, reply);
    }
  }

  private showMenu(sim: SimCard, node: UssdMenu, reply: (status: number, body: string) => void): void {
    if (!node.options) return reply(0, node.text);
    const cancelTimeout = this.timers.after(this.delays.of("ussdSessionTimeoutMs"), () => {
      this.ussdSessions.delete(sim.iccid);
      this.attached.get(sim.iccid)?.ussdFromNetwork(2, "");
    });
    this.ussdSessions.set(sim.iccid, { node, cancelTimeout });
    reply(1, node.text);
  }

  /** The user ended the session (AT+CUSD=2). */
  ussdCancel(sim: SimCard): void {
    this.ussdSessions.get(sim.iccid)?.cancelTimeout();
    this.ussdSessions.delete(sim.iccid);
  }

  /** A network-initiated USSD message (push), optionally expecting an answer. */
  ussdPush(sim: SimCard, text: string, menu?: UssdMenu): void {
    const endpoint = this.attached.get(sim.iccid);
    if (!endpoint) throw new NetworkError(`SIM ${sim.number} is not registered`);
    if (menu) this.showMenu(sim, menu, (status, body) => endpoint.ussdFromNetwork(status, body));
    else endpoint.ussdFromNetwork(0, text);
  }

  setUssdService(operatorId: string, code: string, service: UssdService): void {
    const op = this.operators.get(operatorId);
    if (!op) throw new NetworkError(`unknown operator "${operatorId}"`);
    this.operators.set(operatorId, { ...op, ussd: { ...op.ussd, [code]: service } });
  }

  // ---- calls -------------------------------------------------------------------------------

  /** How a number outside the simulated SIMs treats calls (default: answers). */
  setExternalCallBehaviour(number: string, behaviour: ExternalCallBehaviour): void {
    this.externalCalls.set(numberKey(number), behaviour);
  }

  /** Rings a SIM from an outside caller. */
  callSim(request: { to: string; from: string; ringForMs?: number; hangupAfterMs?: number }): NetworkCall {
    const sim = this.simByNumber(request.to);
    if (!sim) throw new NetworkError(`no SIM has the number ${request.to}`);
    const call = new NetworkCall(this.nextId++, request.from, sim.number, null, sim.iccid);
    this.calls.push(call);
    const endpoint = this.attached.get(sim.iccid);
    if (!endpoint) {
      this.endCall(call, "unreachable");
      return call;
    }
    call.state = "ringing";
    call.farEndHangupAfterMs = request.hangupAfterMs ?? null;
    endpoint.callUpdate(call);
    call.cancelRingTimer = this.timers.after(request.ringForMs ?? 30_000, () => {
      if (call.state === "ringing") this.endCall(call, "caller-gave-up");
    });
    return call;
  }

  /** A modem dials out. */
  dial(fromSim: SimCard, number: string): NetworkCall {
    const callee = this.simByNumber(number);
    const call = new NetworkCall(this.nextId++, fromSim.number, number, fromSim.iccid, callee?.iccid ?? null);
    this.calls.push(call);
    this.timers.after(this.delays.of("callSetupMs"), () => {
      if (call.state === "ended") return;
      if (callee) {
        const endpoint = this.attached.get(callee.iccid);
        if (!endpoint) return this.endCall(call, "unreachable");
        if (this.calls.some((c) => c !== call && c.state !== "ended" && c.involves(callee.iccid))) return this.endCall(call, "busy");
        call.state = "ringing";
        this.notify(call);
        call.cancelRingTimer = this.timers.after(30_000, () => {
          if (call.state === "ringing") this.endCall(call, "no-answer");
        });
        return;
      }
      const behaviour = this.externalCalls.get(numberKey(number)) ?? { kind: "answer" };
      if (behaviour.kind === "busy") return this.endCall(call, "busy");
      call.state = "ringing";
      this.notify(call);
      if (behaviour.kind === "no-answer") {
        call.cancelRingTimer = this.timers.after(behaviour.ringForMs ?? 30_000, () => this.endCall(call, "no-answer"));
        return;
      }
      call.cancelRingTimer = this.timers.after(behaviour.answerAfterMs ?? 0, () => {
        this.answerCall(call);
        if (behaviour.hangupAfterMs !== undefined) call.cancelHangupTimer = this.timers.after(behaviour.hangupAfterMs, () => this.endCall(call, "far-end-hangup"));
      });
    });
    this.notify(call);
    return call;
  }

  answerCall(call: NetworkCall): void {
    if (call.state !== "ringing") return;
    call.cancelRingTimer?.();
    call.state = "active";
    call.answeredAt = new Date().toISOString();
    this.notify(call);
    if (call.farEndHangupAfterMs !== null) {
      call.cancelHangupTimer = this.timers.after(call.farEndHangupAfterMs, () => this.endCall(call, "far-end-hangup"));
    }
  }

  endCall(call: NetworkCall, reason: CallEndReason): void {
    if (call.state === "ended") return;
    call.cancelRingTimer?.();
    call.cancelHangupTimer?.();
    call.state = "ended";
    call.endReason = reason;
    call.endedAt = new Date().toISOString();
    this.notify(call);
  }

  private notify(call: NetworkCall): void {
    for (const iccid of [call.callerIccid, call.calleeIccid]) {
      if (iccid) {
        const sim = this.sims.get(iccid);
        if (sim) this.attached.get(iccid)?.callUpdate(call);
      }
    }
  }
}
