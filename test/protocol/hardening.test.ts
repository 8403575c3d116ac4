import { describe, expect, it } from "vitest";
import { AtFramer } from "../../protocol/at/framer";
import { parseCopsRead } from "../../protocol/at/operator";
import { parseIccid } from "../../protocol/at/sim";
import { decodeSmsPdu } from "../../protocol/sms/decode";
import { encodeSubmit } from "../../protocol/sms/encode";
import { decodeUssdPayload } from "../../protocol/ussd/decode";
import { buildDeliver } from "../../hil/network/pdu-builder";

// Issue 18's protocol classes: strictness (refuse what the specs forbid), tolerance (what
// real firmware breaks), and text read in the +CSCS in force.

describe("strictness", () => {
  // ITU-T E.118: 89, a country code, the issuer, the account and a check digit; cards in use
  // carry 18 to 20 digits (ModemManager's vectors: 19 and 20).
  it.each([
    ["8932410223469016", "16 digits"],
    ["89324102234690160", "17 digits"],
    ["89F2", "4 digits"],
  ])("an ICCID of impossible length is refused: %s (%s)", (input) => expect(parseIccid(input).ok).toBe(false));

  it.each([
    ["8944200053671052499F", "8944200053671052499"],
    ["89324102234690160476", "89324102234690160476"],
    ["893241022346901604", "893241022346901604"],
  ])("an ICCID of 18 to 20 digits is read: %s", (input, iccid) => expect(parseIccid(input)).toEqual({ ok: true, value: iccid }));

  it("an address longer than its PDU is refused", () => {
    // TP-DA announces 12 digits (6 octets) but the PDU ends after two.
    expect(decodeSmsPdu("0001000C911234", { hasSmsc: true }).ok).toBe(false);
  });
});

describe("tolerance", () => {
  it("+COPS? whose operator name lost its closing quote before the AcT", () => {
    expect(parseCopsRead('+COPS: 0,0,"Simnet,7')).toMatchObject({ ok: true, value: { operator: "Simnet", actCode: 7, act: "LTE" } });
    expect(parseCopsRead('+COPS: 0,0,"Simnet')).toMatchObject({ ok: true, value: { operator: "Simnet" } });
    // A comma inside a properly quoted name stays.
    expect(parseCopsRead('+COPS: 0,0,"T-Mobile USA, In",2')).toMatchObject({ ok: true, value: { operator: "T-Mobile USA, In", actCode: 2 } });
  });

  it("a SUBMIT with an empty destination address decodes (23.040 9.1.2.5: length 0, the type octet stays)", () => {
    // Constructed: SMSC 00, SUBMIT 01, MR 00, TP-DA length 00 type 81, PID 00, DCS 00, UDL 02 "hi".
    const decoded = decodeSmsPdu("0001000081000002E834", { hasSmsc: true });
    expect(decoded).toMatchObject({ ok: true, value: { type: "SMS-SUBMIT", number: "", text: "hi", udl: 2 } });
  });

  it("7-bit text whose last septets are @ keeps them: they are characters inside the UDL, not padding", () => {
    for (const text of ["Pay@", "code 1234@@", "@", "@@@@@@@"]) {
      const submit = encodeSubmit({ to: "+15550001111", text });
      if (!submit.ok) throw submit.error;
      expect(decodeSmsPdu(submit.value[0]!.pdu, { hasSmsc: true })).toMatchObject({ ok: true, value: { text } });
      const deliver = buildDeliver({ smsc: "+15550000000", from: "+15557770000", text, alphabet: "gsm7", at: new Date(Date.UTC(2024, 0, 1)), offsetMinutes: 0 });
      expect(decodeSmsPdu(deliver.pdu, { hasSmsc: true })).toMatchObject({ ok: true, value: { text } });
    }
  });
});

describe("USSD text in every TE character set, the +CSCS deciding", () => {
  // trust "charset": the modem is known to present text in its +CSCS (not Huawei or ZTE).
  it.each([
    // A reply that looks like hex is text under GSM, IRA and 8859-1 with a GSM DCS.
    ["0041", 15, "GSM", "0041"],
    ["0041", 15, "IRA", "0041"],
    ["0041", 15, "8859-1", "0041"],
    ["0041", 15, "UCS2", "A"],
    ["12345678", 15, "IRA", "12345678"],
    // GSM unpacked: one septet value per byte (0x00 is '@', 0x02 is '$').
    ["Balance 5\x02 \x00 1", 15, "GSM", "Balance 5$ @ 1"],
    // 8859-1: bytes as Latin-1.
    ["Saldo: 5 \xe9", 15, "8859-1", "Saldo: 5 é"],
    // UCS2 hex under +CSCS="UCS2" (gammu tests/at-ussd/Uissue358-Quectel_M35.dump, start).
    ["00480061007600690020006B0065007200650074", 15, "UCS2", "Havi keret"],
    // The DCS says UCS2: hex is UCS2 whatever +CSCS says (phonesim src/default.xml, DCS 72).
    ["041704140420", 72, "GSM", "ЗДР"],
    // The DCS says 8-bit: hex octets (phonesim src/default.xml, DCS 68).
    ["5553534420", 68, "IRA", "USSD "],
  ] as const)("%j DCS %i under %s -> %j", (payload, dcs, charset, text) =>
    expect(decodeUssdPayload(payload, dcs, charset, { trust: "charset" }).text).toBe(text),
  );

  it("where the modem is known to lie (Huawei packed hex, ZTE UCS2 under a GSM DCS), the content still decides", () => {
    // gammu tests/at-ussd/02-E160.dump starts with this packed text under DCS 15.
    expect(decodeUssdPayload("49B41C74ACD3D16171D90D", 15, "GSM").text).toBe("Ihr Guthaben");
    expect(decodeUssdPayload("0041", 15, "GSM").text).toBe("A");
  });
});

describe("operator names in every TE character set", () => {
  it.each([
    ['+COPS: 0,0,"Simnet"', "GSM", "Simnet"],
    ['+COPS: 0,0,"Sim\x00net"', "GSM", "Sim@net"],
    ['+COPS: 0,0,"Sim@net"', "IRA", "Sim@net"],
    ['+COPS: 0,0,"T\xe9l\xe9"', "8859-1", "Télé"],
    ['+COPS: 0,0,"00530069006D006E00650074"', "UCS2", "Simnet"],
    ['+COPS: 0,2,"00101"', "UCS2", "00101"],
  ] as const)("%j under %s", (line, charset, name) => expect(parseCopsRead(line, { charset })).toMatchObject({ ok: true, value: { operator: name } }));
});

describe("the framer keeps GSM default alphabet codes inside quoted strings", () => {
  it("0x00 '@', 0x02 '$' and the 0x1B escape survive inside quotes; noise outside is dropped", () => {
    const events = new AtFramer().push('\r\n+COPS: 0,0,"Sim\x00Net\x02 \x1be"\r\n\r\nOK\r\n\x00\x07junk\x1a\r\n');
    expect(events).toEqual([
      { kind: "line", text: '+COPS: 0,0,"Sim\x00Net\x02 \x1be"' },
      { kind: "final", text: "OK", result: { kind: "ok" } },
      { kind: "line", text: "junk" },
    ]);
    expect(parseCopsRead((events[0] as { text: string }).text, { charset: "GSM" })).toMatchObject({ ok: true, value: { operator: "Sim@Net$ €" } });
  });
});
