import { describe, expect, it } from "vitest";
import { consoleSubmit, judgeConsoleLine, type ConsoleVerdict } from "../../protocol/at/console-safety";
import { encodeSubmit } from "../../protocol/sms/encode";

type Kind = ConsoleVerdict["kind"];

describe("judgeConsoleLine: the class of each line", () => {
  it.each<[string, Kind]>([
    // Reads and queries change nothing.
    ["AT", "plain"],
    ["AT+CSQ", "plain"],
    ["ATI", "plain"],
    ["AT+CPIN?", "plain"],
    ["AT+CFUN?", "plain"],
    ["AT+CFUN=?", "plain"],
    ["AT+CLCK=?", "plain"],
    ['AT+CLCK="SC",2', "plain"],
    ["AT+CMGD=?", "plain"],
    ["AT+CMGS=?", "plain"],
    ["AT+CPWD=?", "plain"],
    ["AT+CSIM=?", "plain"],
    ["AT+CRSM=176,28542,0,0,11", "plain"],
    ['AT+QCFG="band"', "plain"],
    ['AT+QCFG="nwscanmode"', "plain"],
    ["AT^SYSCFG?", "plain"],
    ["AT+EGMR=0,7", "plain"],
    ["AT+SIMEI?", "plain"],
    ["AT+CFUN=1", "plain"],
    ["AT+CFUN=1,0", "plain"],
    ["ATE0", "plain"],
    ["ATE", "plain"],
    ["ATV1", "plain"],
    ["AT+CMGF=0", "plain"],
    ['AT+CSCS="GSM"', "plain"],
    ["AT+CMEE=1", "plain"],
    ["AT+CREG=2", "plain"],
    ["AT+CNMI=2,1,0,1,0", "plain"],
    ['AT+CPMS="SM","SM","SM"', "plain"],
    ["AT+COPS=0", "plain"],
    ['AT+CUSD=1,"*100#",15', "plain"],
    ["ATD+15550001111;", "plain"],
    ["hello", "plain"],
    // Brick a SIM or lose the modem.
    ['AT+CLCK="SC",1,"1234"', "confirm"],
    ['AT+CLCK="SC",0,"1234"', "confirm"],
    ['AT+CPIN="1234"', "confirm"],
    ['AT+CPIN="12345678","4321"', "confirm"],
    ['AT+CPWD="SC","1234","4321"', "confirm"],
    ["AT+CFUN=0", "confirm"],
    ["AT+CFUN=4", "confirm"],
    ["AT+CFUN=1,1", "confirm"],
    ["AT+CFUN=16", "confirm"],
    ['AT+EGMR=1,7,"356938035643809"', "confirm"],
    ['AT+SIMEI="356938035643809"', "confirm"],
    ["AT^IMEI", "confirm"],
    ['AT+QCFG="band",0,0x80000,0', "confirm"],
    ['AT+QCFG="nwscanmode",3,1', "confirm"],
    ["AT^SYSCFG=13,1,3FFFFFFF,2,4", "confirm"],
    ["AT^SYSCFGEX=\"03\",3FFFFFFF,1,2,7FFFFFFFFFFFFFFF,,", "confirm"],
    ['AT+CBAND="EGSM_MODE"', "confirm"],
    ["AT+UBANDSEL=900,1800", "confirm"],
    ["AT+QPOWD", "confirm"],
    ["AT+QPOWD=1", "confirm"],
    ["AT+CPOWD=1", "confirm"],
    ["AT+CRESET", "confirm"],
    ["AT^RESET", "confirm"],
    ['AT+QFUPL="UFS:fw.bin",1024', "confirm"],
    ["AT+QPRTPARA=3", "confirm"],
    ['AT+UFWUPD=3', "confirm"],
    ['AT+CRSM=214,28542,0,0,11,"FFFFFFFFFFFFFFFFFFFFFF"', "confirm"],
    ['AT+CRSM=220,28474,1,4,28,"FF"', "confirm"],
    ["AT+CRSM=222,28542,0,0,1", "confirm"],
    ['AT+CSIM=10,"00B0000009"', "confirm"],
    ['AT+CPOL=1,2,"26201"', "confirm"],
    ["AT+COPS=2", "confirm"],
    ['AT+COPS=1,2,"26201"', "confirm"],
    ["AT+IPR=9600", "confirm"],
    ["AT+CMUX=0", "confirm"],
    ["ATS3=10", "confirm"],
    ["ATD*99#", "confirm"],
    ["ATD**04*1234*4321*4321#", "confirm"],
    // Settings the service relies on.
    ["ATE1", "reassert"],
    ["ATV0", "reassert"],
    ["ATV", "reassert"],
    ["ATQ1", "reassert"],
    ["ATZ", "reassert"],
    ["AT&F", "reassert"],
    ["AT&F0", "reassert"],
    ["AT+CMGF=1", "reassert"],
    ['AT+CSCS="UCS2"', "reassert"],
    ['AT+CPMS="ME","ME","ME"', "reassert"],
    ["AT+CNMI=1,2,0,0,0", "reassert"],
    ["AT+CMEE=0", "reassert"],
    ["AT+CMEE=2", "reassert"],
    ["AT+CSMP=17,167,0,0", "reassert"],
    ["AT+CREG=0", "reassert"],
    ["AT+CGREG=1", "reassert"],
    ["AT+CEREG=0", "reassert"],
    ["AT+CLIP=0", "reassert"],
    ["AT+CUSD=0", "reassert"],
    ["AT+COPS=3,2", "reassert"],
    ["AT^CURC=1", "reassert"],
    // Messages.
    ["AT+CMGD=3", "delete"],
    ["AT+CMGD=1,4", "delete"],
    ['AT+CMGS="+15550002222"', "send"],
    ["AT+CMGS=23", "send"],
    ["AT+CMSS=4", "send"],
    ["AT+CMGW", "send"],
    ["AT+CMGW=23", "send"],
  ])("%j is %s", (line, kind) => {
    expect(judgeConsoleLine(line).kind).toBe(kind);
  });
});

describe("judgeConsoleLine: how the line is read", () => {
  it.each<[string, Kind]>([
    // Case and spaces outside quotes do not matter (V.250 ignores both).
    ["at+cfun=0", "confirm"],
    ["AT + CFUN = 0", "confirm"],
    ["at + cfun = 1 , 1", "confirm"],
    ['at+qcfg = "BAND" , 0 , 0x80000 , 0', "confirm"],
    ["ate1", "reassert"],
    ["AT E1 V0", "reassert"],
    ["at+cmgd = 7", "delete"],
    ["  AT+CSQ  \r", "plain"],
    // Basic commands run together.
    ["ATE0V1", "plain"],
    ["ATE1V0", "reassert"],
    ["ATE0Q0V1S0=0", "plain"],
    // Chained commands: the strictest wins.
    ["AT+CSQ;+CFUN=0", "confirm"],
    ["AT+CSQ;+CREG?;+COPS?", "plain"],
    ["AT+CSQ;+CMGF=1", "reassert"],
    ["AT+CMGF=1;+CMGD=2", "delete"],
    ['AT+CMGF=1;+CMGS="+15550002222"', "send"],
    ["AT+CMGD=2;+CFUN=4", "confirm"],
    ["ATE1;+CFUN=0", "confirm"],
    ["AT+CSQ;AT+CFUN=0", "confirm"], // a second AT after the separator, typed often
    // A quoted ';' is not a separator.
    ['AT+CUSD=1,"*100;+CFUN=0#",15', "plain"],
    // The dial string runs to the end of the line: what follows ATD is not a command.
    ["ATD+15550001111;+CFUN=0", "plain"],
  ])("%j is %s", (line, kind) => {
    expect(judgeConsoleLine(line).kind).toBe(kind);
  });

  it("says why in words a technician understands", () => {
    expect(judgeConsoleLine("AT+CFUN=0")).toEqual({
      kind: "confirm",
      reason: "+CFUN=0 turns the radio and the SIM off (minimum functionality): the modem drops off the network until +CFUN=1",
    });
    expect(judgeConsoleLine('AT+CPIN="1234"')).toMatchObject({ kind: "confirm", reason: expect.stringMatching(/3 wrong PINs block the SIM/) });
    expect(judgeConsoleLine('AT+CLCK="SC",1,"1234"')).toMatchObject({ reason: expect.stringMatching(/^\+CLCK="SC",1,"1234" turns on the SIM's PIN request/) });
    expect(judgeConsoleLine("AT+CFUN=1,1")).toMatchObject({ reason: expect.stringMatching(/resets the modem/) });
    expect(judgeConsoleLine("AT+CRSM=214,28542,0,0,1,\"FF\"")).toMatchObject({ reason: expect.stringMatching(/UPDATE BINARY/) });
    expect(judgeConsoleLine("ATE1")).toMatchObject({ kind: "reassert", reason: expect.stringMatching(/echo on/) });
    expect(judgeConsoleLine("AT+CMGF=1")).toMatchObject({ reason: expect.stringMatching(/text mode.*PDU mode/) });
  });

  it("joins the reasons of several commands of the same class", () => {
    const v = judgeConsoleLine("AT+CFUN=4;+CPIN=\"1234\"");
    expect(v.kind).toBe("confirm");
    expect(v.kind === "confirm" && v.reason.split(". ")).toEqual([expect.stringMatching(/^\+CFUN=4 /), expect.stringMatching(/^\+CPIN="1234" /)]);
    const r = judgeConsoleLine("ATE1V0");
    expect(r.kind === "reassert" && r.reason.split(". ").length).toBe(2);
  });

  it("reads the index and delete flag of +CMGD", () => {
    expect(judgeConsoleLine("AT+CMGD=3")).toEqual({ kind: "delete", index: 3, flag: 0 });
    expect(judgeConsoleLine("AT+CMGD=3,0")).toEqual({ kind: "delete", index: 3, flag: 0 });
    expect(judgeConsoleLine("AT+CMGD=1,4")).toEqual({ kind: "delete", index: 1, flag: 4 });
    expect(judgeConsoleLine("at+cmgd= 12 , 2")).toEqual({ kind: "delete", index: 12, flag: 2 });
    // The flag makes the index irrelevant (27.005 3.5.4); some firmwares take it left out.
    expect(judgeConsoleLine("AT+CMGD=,4")).toEqual({ kind: "delete", index: 0, flag: 4 });
    // What cannot be read is not let through as a single delete.
    expect(judgeConsoleLine("AT+CMGD=x").kind).toBe("confirm");
    expect(judgeConsoleLine("AT+CMGD=1,9").kind).toBe("confirm");
  });

  it("names the sending command", () => {
    expect(judgeConsoleLine('AT+CMGS="+15550002222",145')).toEqual({ kind: "send", command: "CMGS" });
    expect(judgeConsoleLine("AT+CMSS=4")).toEqual({ kind: "send", command: "CMSS" });
    expect(judgeConsoleLine("AT+CMGW")).toEqual({ kind: "send", command: "CMGW" });
  });

  it("asks for a confirmation when one line holds several message commands: a verdict carries one", () => {
    expect(judgeConsoleLine("AT+CMGD=1;+CMGD=2")).toMatchObject({ kind: "confirm", reason: expect.stringMatching(/separate lines/) });
  });
});

describe("consoleSubmit", () => {
  it("reads a text-mode send: the number from the command, the text from the body", () => {
    expect(consoleSubmit('AT+CMGS="+15550002222"', "hello there\x1a", false)).toEqual({ to: "+15550002222", text: "hello there" });
    expect(consoleSubmit('AT+CMGS="+15550002222",145', "hello", false)).toEqual({ to: "+15550002222", text: "hello" });
    expect(consoleSubmit("at+cmgs=0612345678", "two\rlines", false)).toEqual({ to: "0612345678", text: "two\nlines" });
    expect(consoleSubmit('AT + CMGS = "+1 555 000 2222"', "spaced", false)).toEqual({ to: "+15550002222", text: "spaced" });
    expect(consoleSubmit('+CMGS="+15550002222"', "without AT", false)).toEqual({ to: "+15550002222", text: "without AT" });
    expect(consoleSubmit('AT+CMGW="+15550002222"', "written", false)).toEqual({ to: "+15550002222", text: "written" });
  });

  it("reads a PDU-mode send with the project's decoder", () => {
    const encoded = encodeSubmit({ to: "+15550002222", text: "typed in the console" });
    if (!encoded.ok) throw new Error(encoded.error.message);
    const [part] = encoded.value;
    expect(consoleSubmit(`AT+CMGS=${part!.tpduLength}`, `${part!.pdu}\x1a`, true)).toEqual({ to: "+15550002222", text: "typed in the console" });
    // With a service centre in the PDU, and lower-case hex.
    const withSmsc = encodeSubmit({ to: "0612345678", text: "Grüße", smsc: "+31653131313" });
    if (!withSmsc.ok) throw new Error(withSmsc.error.message);
    expect(consoleSubmit(`AT+CMGS=${withSmsc.value[0]!.tpduLength}`, withSmsc.value[0]!.pdu.toLowerCase(), true)).toEqual({ to: "0612345678", text: "Grüße" });
  });

  it("is null when the message cannot be read or does not leave", () => {
    expect(consoleSubmit("AT+CSQ", "x", false)).toBeNull();
    expect(consoleSubmit('AT+CMGS="not a number"', "x", false)).toBeNull();
    expect(consoleSubmit('AT+CMGS="+15550002222"', "never mind\x1b", false)).toBeNull();
    expect(consoleSubmit("AT+CMGS=20", "0011000B91", true)).toBeNull();
    expect(consoleSubmit("AT+CMGS=20", "not hex at all", true)).toBeNull();
    // An SMS-DELIVER is not a message that leaves (ModemManager test_cmgr_response_telit's PDU).
    const deliver = "07916163838428F9040B916121021021F700005190514164220A23C4B0BCFD5E8740C4B0BCFD5E83C26E3248196687C9A0301D440DBBC3677918";
    expect(consoleSubmit("AT+CMGS=50", deliver, true)).toBeNull();
  });
});
