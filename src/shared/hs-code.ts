import nomenclature from "./data/hs-nomenclature.json";
import type { Problems } from "./validation";

/* HS codes of goods items, checked against the nomenclature (the validators' conventions: validation.ts). */

/**
 * The HS nomenclature the hub checks codes against (src/shared/data/hs-nomenclature.json):
 * every chapter and four-digit heading of the edition it names, with its source.
 */
export const HS_NOMENCLATURE = {
  source: nomenclature.source,
  edition: nomenclature.edition,
  chapters: new Set(Object.keys(nomenclature.chapters)),
  /** reserved by the HS for special national uses: accepted without a heading check */
  nationalUse: new Set(nomenclature.nationalUse.chapters),
  headings: new Set(Object.keys(nomenclature.headings)),
  excise: new Set(nomenclature.excise.headings),
  exciseReference: nomenclature.excise.legalReference,
};

/**
 * HS code: 6 digits internationally, up to 10 nationally, of a chapter and heading of the
 * HS (chapters 98 and 99 of national use excepted). Dots and spaces ("6109.10") are dropped.
 */
export function hsCode(p: Problems, path: string, v: unknown): string | undefined {
  const s = typeof v === "string" ? v.replace(/[\s.]/g, "") : "";
  if (!/^\d{6,10}$/.test(s)) {
    p.add(path, "must be a Harmonized System code of 6 to 10 digits");
    return undefined;
  }
  const chapter = s.slice(0, 2);
  if (HS_NOMENCLATURE.nationalUse.has(chapter)) return s;
  if (!HS_NOMENCLATURE.chapters.has(chapter)) {
    p.add(path, `must be in a chapter of the HS nomenclature (${HS_NOMENCLATURE.edition}): there is no chapter ${chapter}`);
    return undefined;
  }
  if (!HS_NOMENCLATURE.headings.has(s.slice(0, 4))) {
    p.add(path, `must be in a heading of the HS nomenclature (${HS_NOMENCLATURE.edition}): chapter ${chapter} has no heading ${s.slice(0, 4)}`);
    return undefined;
  }
  return s;
}

/** Goods subject to excise duties (alcohol, tobacco, energy products), by HS heading. */
export function isExciseGoods(hs: string): boolean {
  return HS_NOMENCLATURE.excise.has(hs.slice(0, 4));
}
