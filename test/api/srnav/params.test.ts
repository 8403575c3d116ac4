import { describe, expect, it } from "vitest";
import { ApiWord } from "../../../src/api/srnav/errors";
import { decodeAction, recentDecodes } from "../../../src/api/srnav/params";

const params = (fields: Record<string, string>) => new Map(Object.entries(fields));

// The decoded parameters of a repeated request are kept (pollers send the same one every
// second): the same answer for the same fields, whatever else the request carries, never
// for other fields, never a refusal, never changeable, and never more than it may hold.
describe("SR-Navigator parameters of repeated requests", () => {
  it("gives the same frozen answer for the same fields, ignoring the pool key and extras", () => {
    const first = decodeAction("getLastSms", params({ pool_key: "key-one", action: "getLastSms", number: "+1 555 000 1234", code: "4", sender: " Verify " }));
    expect(first).toEqual({ number: ["15550001234"], code: 4, sender: "Verify" });
    const again = decodeAction("getLastSms", params({ pool_key: "key-two", action: "getLastSms", number: "+1 555 000 1234", code: "4", sender: " Verify ", _: "1733140000" }));
    expect(again).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.number)).toBe(true);
    expect(() => (first.number as string[]).push("1")).toThrow(TypeError);
    // A value cannot pass for other fields: this number is not the one above with code 4.
    expect(decodeAction("getLastSms", params({ number: "15550009999", code: "4" })).code).toBe(4);
    for (const forged of ["15550009999\u0000code\u00014", '15550009999","code","4'])
      expect(decodeAction("getLastSms", params({ number: forged })).code).toBeUndefined();
    // Another field value is another answer.
    expect(decodeAction("getLastSms", params({ number: "15550001234", code: "5" })).code).toBe(5);
    // An alias is read as its name is, and kept apart from a request that names neither.
    expect(decodeAction("getPoolStatus", params({ deviceId: "7,8" })).device_id).toEqual(["7", "8"]);
    expect(decodeAction("getPoolStatus", params({})).device_id).toBeUndefined();
  });

  it("refuses a bad request every time, with its word", () => {
    for (let i = 0; i < 2; i++) {
      const refused = (() => {
        try {
          decodeAction("getLastSms", params({ code: "4" }));
        } catch (error) {
          return error;
        }
      })();
      expect(refused).toBeInstanceOf(ApiWord);
      expect((refused as ApiWord).word).toBe("EMPTY_NUMBER");
    }
  });

  it("keeps only the actions clients poll: a message to send is decoded each time", () => {
    const before = recentDecodes();
    const send = params({ number: "15550001234", recipient: "15550009999", text: "hello" });
    const first = decodeAction("sendSms", send);
    expect(first).toEqual({ number: ["15550001234"], recipient: "15550009999", text: "hello" });
    expect(decodeAction("sendSms", send)).not.toBe(first);
    expect(recentDecodes()).toBe(before);
  });

  it("keeps at most 1024 requests", () => {
    for (let i = 0; i < 3_000; i++) decodeAction("getSimStatus", params({ number: String(15550000000 + i) }));
    expect(recentDecodes()).toBe(1024);
    // The newest are kept: one decoded again is the kept object.
    const newest = params({ number: String(15550000000 + 2_999) });
    expect(decodeAction("getSimStatus", newest)).toBe(decodeAction("getSimStatus", newest));
  });
});
