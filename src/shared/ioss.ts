import countries from "i18n-iso-countries";
import { EU_MEMBER_STATES, isBlank, type Problems } from "./validation";

/* EU IOSS identification numbers (the validators' conventions: validation.ts). */

/** Their ISO 3166-1 numeric codes, as an IOSS number carries them. */
const EU_NUMERIC: ReadonlySet<string> = new Set([...EU_MEMBER_STATES].map((c) => countries.alpha2ToNumeric(c)!));

/**
 * EU IOSS identification number: IM, the ISO 3166-1 numeric code of the member state of
 * identification (3 digits), and a 7-digit number (Council Implementing Regulation (EU)
 * 2019/2026 and the Commission's IOSS guidance: IM2760000001 for Germany).
 */
export function iossNumber(p: Problems, path: string, v: unknown): string | null | undefined {
  if (isBlank(v)) return null;
  const s = typeof v === "string" ? v.replace(/\s+/g, "").toUpperCase() : "";
  if (!/^IM\d{10}$/.test(s)) {
    p.add(path, "must be an IOSS number: IM, the member state's 3-digit country code and 7 digits (e.g. IM2760000001)");
    return undefined;
  }
  if (!EU_NUMERIC.has(s.slice(2, 5))) {
    p.add(path, `must be an IOSS number of an EU member state: ${s.slice(2, 5)} is not the numeric code of one`);
    return undefined;
  }
  return s;
}

/** IOSS number: IM + 10 digits. */
export function isIossNumber(v: unknown): v is string {
  return typeof v === "string" && /^IM\d{10}$/.test(v.trim().toUpperCase());
}
