/**
 * The shipped rule sets stay marked illustrative, and every line names its legal reference:
 * a real act where the hub is sure of it, or says plainly that the reference is to be
 * confirmed (never a placeholder asking someone to cite the act).
 */
import { SHIPPED_RULE_SETS } from "../src/modules/rules/rules.loader";

const lines = Object.entries(SHIPPED_RULE_SETS).flatMap(([name, file]) =>
  file.sets.flatMap((set) => [...(set.rules ?? []), ...(set.exchangeRates ?? [])].map((r) => ({ name, ref: String((r as { legalReference?: unknown }).legalReference ?? "") }))),
);

describe("shipped rule sets", () => {
  it("are marked illustrative, file and set", () => {
    for (const file of Object.values(SHIPPED_RULE_SETS)) {
      expect(file.illustrative).toBe(true);
      for (const set of file.sets) expect(set.illustrative).toBe(true);
    }
  });

  it("every line names its legal reference; no placeholder", () => {
    expect(lines.length).toBeGreaterThan(50);
    for (const l of lines) {
      expect(l.ref.length).toBeGreaterThan(10);
      expect(l.ref).not.toMatch(/cite the act|illustrative reference/i);
    }
  });

  it("the references the hub is sure of: VAT Directive (import VAT, IOSS), duty relief, CN, UK and US acts", () => {
    const refs = lines.map((l) => l.ref).join("\n");
    expect(refs).toMatch(/Council Directive 2006\/112\/EC, Art\. 143\(1\)\(ca\).*Art\. 369l to 369x/);
    expect(refs).toMatch(/Council Regulation \(EC\) No 1186\/2009, Art\. 23/);
    expect(refs).toMatch(/Council Regulation \(EEC\) No 2658\/87/);
    expect(refs).toMatch(/Value Added Tax Act 1994/);
    expect(refs).toMatch(/Taxation \(Cross-border Trade\) Act 2018/);
    expect(refs).toMatch(/19 U\.S\.C\. 1321/);
    // the EU interim flat duty: the act is not verified, and the line says so
    expect(refs).toMatch(/EUR 3 per item category.*is to be confirmed/);
  });
});
