import { describe, expect, it } from "vitest";
import { describeModemError } from "../../../protocol/at/errors";
import { formatFinalResult, parseFinalResult } from "../../../protocol/at/final-result";
import { classifyUrc, UrcCollector } from "../../../protocol/at/urc";

describe("classifyUrc", () => {
  it.each([
    ['+CMTI: "SM",3', "sms-stored"],
    ["+CMT: ,24", "sms-delivered"],
    ["+CDS: 25", "status-report"],
    ['+CDSI: "SR",1', "status-report-stored"],
    ["RING", "ring"],
    ["+CRING: VOICE", "ring-typed"],
    ['+CLIP: "+4912",145,,,,0', "caller-id"],
    ['+CCWA: "123",129,1', "call-waiting"],
    ['+CUSD: 0,"x",15', "ussd"],
    ["+CREG: 1", "registration"],
    ["+CGREG: 1", "registration"],
    ["+CEREG: 1", "registration"],
    ["+C5GREG: 1", "registration"],
    ["+CPIN: NOT READY", "sim-state"],
    ["^RSSI: 17", "signal"],
    ["^BOOT: 1,0,0,4,0", "boot"],
    ["^MODE: 5,4", "mode"],
    ["^SYSSTART", "system-start"],
    ['+QIND: SMS DONE', "vendor-indication"],
    ["RDY", "ready"],
    ["SMS Ready", "sms-ready"],
    ["Call Ready", "call-ready"],
    ["NO CARRIER", "call-ended"],
  ])("%s is %s", (line, kind) => {
    expect(classifyUrc(line)?.kind).toBe(kind);
  });

  it("tells a reply from a URC by the command in flight", () => {
    expect(classifyUrc("+CREG: 2,1", "AT+CREG?")).toMatchObject({ answersPending: true });
    expect(classifyUrc("+CREG: 1", "AT+CSQ")).toMatchObject({ answersPending: false });
    expect(classifyUrc('+CUSD: 0,"x",15', 'AT+CUSD=1,"*100#",15')).toMatchObject({ answersPending: true, alsoAfterFinal: true });
    expect(classifyUrc("NO CARRIER", "ATD+123;")).toBeNull();
    expect(classifyUrc("+CSQ: 17,99")).toBeNull();
  });

  it("joins +CMT and PDU-mode +CDS with their body line, not text-mode +CDS", () => {
    const c = new UrcCollector();
    expect(c.push("+CMT: ,24")).toBeNull();
    expect(c.waitingForBody).toBe(true);
    expect(c.push("0791AB")).toEqual({ kind: "sms-delivered", line: "+CMT: ,24", body: "0791AB" });
    expect(c.push("+CDS:25")).toBeNull();
    expect(c.push("07914875")).toMatchObject({ kind: "status-report", body: "07914875" });
    expect(c.push('+CDS: 6,5,"+49123",145,"24/01/01,00:00:00+00","24/01/01,00:00:05+00",0')).toMatchObject({ body: null });
  });
});

describe("modem errors", () => {
  it("names CMS and CME codes and says whether a retry can help", () => {
    expect(describeModemError(parseFinalResult("+CMS ERROR: 500")!)).toEqual({
      family: "CMS",
      code: 500,
      name: "unknown error",
      retryable: true,
      text: "+CMS ERROR: 500",
    });
    expect(describeModemError(parseFinalResult("+CMS ERROR: 322")!)).toMatchObject({ name: "memory full", retryable: false });
    expect(describeModemError(parseFinalResult("+CME ERROR: 10")!)).toMatchObject({ name: "SIM not inserted" });
    expect(describeModemError(parseFinalResult("+CME ERROR: SIM busy")!)).toMatchObject({ code: null, name: "SIM busy" });
    expect(describeModemError(parseFinalResult("OK")!)).toBeNull();
  });
});

describe("final results", () => {
  it.each(["OK", "ERROR", "+CME ERROR: 10", "+CMS ERROR: 500", "+CME ERROR: SIM busy", "NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "CONNECT", "CONNECT 9600"])(
    "%s reads back as it is printed",
    (line) => {
      const result = parseFinalResult(line);
      expect(result).not.toBeNull();
      expect(formatFinalResult(result!)).toBe(line);
    },
  );

  it("is not fooled by information lines", () => {
    expect(parseFinalResult("+CMGS: 12")).toBeNull();
    expect(parseFinalResult("OKAY")).toBeNull();
    expect(parseFinalResult("CONNECTED")).toBeNull();
  });
});
