import countries from "i18n-iso-countries";
import type { Problems } from "./validation";

/* UPU S10 item identifiers (tracking numbers), and tracking numbers in general (the validators' conventions: validation.ts). */

const S10_SHAPE = /^[A-Z]{2}(\d{8})(\d)([A-Z]{2})$/;
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/**
 * UPU S10 service indicators by first letter (UPU standard S10, item identifiers): the
 * service an item travels under. Others (A, B, D, F, G, I-K, N-P, S-T, W-Z) are not
 * assigned to items in international exchange.
 */
export const S10_SERVICES: Readonly<Record<string, string>> = {
  C: "parcel",
  E: "EMS",
  H: "e-commerce item (letter-post with goods)",
  L: "letter-post, tracked",
  M: "M bag",
  Q: "international business reply",
  R: "registered letter-post",
  U: "letter-post, bar-coded",
  V: "insured letter-post",
};

/** UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11); 10 -> 0, 11 -> 5. */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new Error("an S10 serial number has exactly 8 digits");
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * S10_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

/** True when `s` has the S10 shape, a correct check digit and a real ISO country. */
export function isValidS10(s: string): boolean {
  const m = S10_SHAPE.exec(s);
  return !!m && s10CheckDigit(m[1]) === Number(m[2]) && countries.isValid(m[3]);
}

/**
 * Tracking number, upper-cased with spaces removed ("RR 123 456 785 CN" is printed that way).
 * S10-shaped numbers must have a correct check digit and country; anything else is taken
 * as a carrier's own format: 6 to 40 of A-Z, 0-9 and '-'.
 */
export function trackingNumber(p: Problems, path: string, v: unknown): string | undefined {
  const s = typeof v === "string" ? v.replace(/\s+/g, "").toUpperCase() : "";
  const m = S10_SHAPE.exec(s);
  if (m) {
    if (!S10_SERVICES[s[0]]) {
      p.add(path, `is a UPU S10 number whose service indicator ${s.slice(0, 2)} is not one the S10 standard assigns to items (${Object.keys(S10_SERVICES).join(", ")}...)`);
      return undefined;
    }
    const expected = s10CheckDigit(m[1]);
    if (expected !== Number(m[2])) {
      p.add(path, `is a UPU S10 number with a wrong check digit (expected ${expected})`);
      return undefined;
    }
    if (!countries.isValid(m[3])) {
      p.add(path, "is a UPU S10 number whose last two letters are not an ISO 3166-1 country code");
      return undefined;
    }
    return s;
  }
  if (!/^[A-Z0-9-]{6,40}$/.test(s)) {
    p.add(path, "must be a UPU S10 number (e.g. RR123456785CN) or 6 to 40 characters of A-Z, 0-9 and '-'");
    return undefined;
  }
  return s;
}
