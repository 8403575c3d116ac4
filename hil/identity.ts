/** Deterministic identities for simulated hardware: IMEI, ICCID, IMSI, numbers. */

/** Luhn check digit over a digit string (IMEI, ICCID). */
export const luhnDigit = (digits: string): string => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
};

export const makeImei = (tac: string, serial: number): string => {
  const body = tac + String(serial % 1_000_000).padStart(6, "0");
  return body + luhnDigit(body);
};

/** 89 (telecom) + country 001 + issuer + serial, 19 digits with the Luhn digit. */
export const makeIccid = (issuer: number, serial: number): string => {
  const body = `89001${String(issuer % 100).padStart(2, "0")}${String(serial % 100_000_000_000).padStart(11, "0")}`;
  return body + luhnDigit(body);
};

export const makeImsi = (mccmnc: string, serial: number): string => mccmnc + String(serial).padStart(15 - mccmnc.length, "0");
