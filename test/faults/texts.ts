/**
 * Message texts that can be traced wherever they end up: each carries its ledger tag
 * (`#M<n>#`), and a multipart text repeats it often enough that every part holds a whole tag,
 * so a single part left on a SIM, in a modem's memory or at the SMSC names its message.
 */
import { splitForSms } from "../../protocol/sms/encode";
import type { MessageKind } from "./schedule";

export const tagOf = (n: number) => `#M${n}#`;

/** The tags a text (or one part of it) carries, each once. */
export const tagsIn = (text: string): number[] => [...new Set([...text.matchAll(/#M(\d+)#/g)].map((m) => Number(m[1])))];

/** The one tag of a text, or null when it has none (or, impossibly, several). */
export const tagIn = (text: string): number | null => {
  const tags = tagsIn(text);
  return tags.length === 1 ? tags[0]! : null;
};

const code = (n: number) => String(1000 + ((n * 7919) % 9000));

export const textFor = (kind: MessageKind, n: number): string => {
  const tag = tagOf(n);
  switch (kind) {
    case "short":
      return `${tag} Your code is ${code(n)}`;
    case "ucs2":
      // Cyrillic and a check mark: outside GSM 7-bit, so the whole message goes as UCS2.
      return `${tag} Код подтверждения ${code(n)} ✓`;
    case "sim-to-sim":
      return `${tag} from a farm SIM, code ${code(n)}`;
    case "multipart": {
      // Three GSM parts (153 septets each); the tag every ~45 characters.
      const unit = `${tag} parcel ${code(n)} is at the depot, reply STOP.`;
      let text = unit;
      while (partsOf(`${text} ${unit}`) <= 3) text += ` ${unit}`;
      return text;
    }
  }
};

/** How many parts the network will make of a text. */
export const partsOf = (text: string) => splitForSms(text).parts.length;
