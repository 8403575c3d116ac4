/**
 * Traffic into the farm and out through the APIs, every message written to the ledger as it
 * goes: network messages to a card (short, three-part, UCS2), sends from a card through
 * SimFolder or SR-Navigator, and SIM-to-SIM messages (a send whose addressee is another card
 * of the farm, which the network then delivers to it).
 */
import type { SimCard } from "../../hil/network/sim-card";
import { simFolderSend, srNavigatorSend } from "./api";
import type { Ledger, Origin, OutboundEntry } from "./ledger";
import type { Rig } from "./rig";
import type { MessageKind, TrafficItem } from "./schedule";
import type { ServiceProcess } from "./service";
import { partsOf, textFor } from "./texts";

const SENDERS = ["MyBank", "+15557001234", "Delivery", "+15557005678", "Shop"];

export class Traffic {
  /** Sends still waiting for the API's answer (SR-Navigator's can take a minute). */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly rig: Rig,
    private readonly ledger: Ledger,
    private readonly service: ServiceProcess,
    /** How long an SR-Navigator client waits for WAIT_SMS before it gives up. */
    private readonly openWaitMs: number,
  ) {}

  /** Runs one scheduled item against `card` (the card in the faulted modem, or any). */
  run(item: TrafficItem, card: SimCard, origin: Origin): void {
    if (item.direction === "in") {
      if (item.kind === "sim-to-sim") this.send(this.other(card, item.pick), card, "sim-to-sim", item.api, origin);
      else this.fromNetwork(card, item.kind, SENDERS[Math.floor(item.senderPick * SENDERS.length)]!, origin);
    } else if (item.kind === "sim-to-sim") this.send(card, this.other(card, item.pick), "sim-to-sim", item.api, origin);
    else this.send(card, null, item.kind, item.api, origin);
  }

  /** Background traffic: the card is picked by the item itself. */
  pickCard(pick: number): SimCard {
    return this.rig.cards[Math.floor(pick * this.rig.cards.length)]!;
  }

  private other(card: SimCard, pick: number): SimCard {
    const others = this.rig.cards.filter((c) => c !== card);
    return others[Math.floor(pick * others.length)]!;
  }

  private fromNetwork(card: SimCard, kind: MessageKind, sender: string, origin: Origin): void {
    const tag = this.ledger.newTag();
    const text = textFor(kind, tag);
    this.rig.farm.network.sendSms({ to: card.number, from: sender, text });
    this.ledger.addInbound({ ...origin, tag, kind, iccid: card.iccid, number: card.number, sender, text, parts: partsOf(text), at: Date.now() });
  }

  private send(from: SimCard, to: SimCard | null, kind: MessageKind, api: "simfolder" | "srnav", origin: Origin): void {
    const tag = this.ledger.newTag();
    const text = textFor(kind, tag);
    // Outside addressees are numbers no farm SIM has; the tag keeps them apart.
    const addressee = to ? to.number : `+1555900${String(tag).padStart(4, "0")}`;
    const entry: OutboundEntry = this.ledger.addOutbound({
      ...origin,
      tag,
      kind,
      api,
      iccid: from.iccid,
      number: from.number,
      to: addressee,
      toIccid: to?.iccid ?? null,
      text,
      at: Date.now(),
      apiAccepted: null,
      answer: "",
      smsId: null,
    });
    const base = this.service.url;
    if (!base) {
      entry.apiAccepted = false;
      entry.answer = "the service is down";
      return;
    }
    const done = (api === "srnav" ? srNavigatorSend(() => this.service.url, from, addressee, text, this.openWaitMs) : simFolderSend(base, from, addressee, text)).then((outcome) => {
      entry.apiAccepted = outcome.accepted;
      entry.answer = outcome.answer;
      entry.smsId = outcome.smsId;
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Waits for every API call still open (bounded: SR-Navigator's sendSms waits 60 s). */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) await Promise.race([...this.pending, new Promise((r) => setTimeout(r, 500))]);
  }
}
