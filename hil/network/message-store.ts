/**
 * One SMS memory (SM on the SIM, ME in the modem, SR for status reports) with a fixed
 * capacity. Indices are slots: a deleted message frees its slot and the next message takes
 * the lowest free one, as SIM files do.
 */

/** 27.005 <stat>: 0 received unread, 1 received read, 2 stored unsent, 3 stored sent. */
export type MessageStat = 0 | 1 | 2 | 3;

export interface StoredMessage {
  readonly index: number;
  stat: MessageStat;
  /** The PDU as hex, SMSC part first. */
  readonly pdu: string;
  /** TPDU octets without the SMSC part: the <length> a listing prints. */
  readonly tpduLength: number;
  readonly kind: "deliver" | "submit" | "status-report";
}

export type StorageName = "SM" | "ME" | "SR";

/** A message taken out of a memory, for looking back at where a message went. */
export interface RemovedMessage {
  readonly at: number;
  readonly index: number;
  readonly pdu: string;
  readonly kind: StoredMessage["kind"];
}

/** How many removals a memory remembers (the oldest are forgotten first). */
const REMOVED_KEPT = 500;

export class MessageStore {
  private readonly slots: (StoredMessage | undefined)[];
  /** The latest removals (AT+CMGD), oldest first. */
  readonly removed: RemovedMessage[] = [];
  constructor(
    readonly name: StorageName,
    readonly capacity: number,
    /**
     * Huawei and Quectel count from 0, SIMCom from 1. The SM memory lives on the SIM but the
     * numbering is the modem's, so the modem holding the card sets this (slots do not move).
     */
    public firstIndex: number,
  ) {
    this.slots = new Array<StoredMessage | undefined>(capacity);
  }

  get used(): number {
    let n = 0;
    for (const s of this.slots) if (s) n++;
    return n;
  }

  get full(): boolean {
    return this.used >= this.capacity;
  }

  /** Stores a message in the lowest free slot; null when the memory is full. */
  add(message: Omit<StoredMessage, "index">): StoredMessage | null {
    const slot = this.slots.findIndex((s) => s === undefined);
    if (slot < 0) return null;
    const stored = { ...message, index: slot + this.firstIndex };
    this.slots[slot] = stored;
    return stored;
  }

  get(index: number): StoredMessage | undefined {
    return this.slots[index - this.firstIndex];
  }

  /** True when the index names a slot of this memory (used or not). */
  validIndex(index: number): boolean {
    return Number.isInteger(index) && index >= this.firstIndex && index < this.firstIndex + this.capacity;
  }

  delete(index: number): boolean {
    const slot = index - this.firstIndex;
    const message = this.slots[slot];
    if (!message) return false;
    this.slots[slot] = undefined;
    this.removed.push({ at: Date.now(), index, pdu: message.pdu, kind: message.kind });
    if (this.removed.length > REMOVED_KEPT) this.removed.shift();
    return true;
  }

  list(): StoredMessage[] {
    return this.slots.filter((s): s is StoredMessage => s !== undefined);
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}
