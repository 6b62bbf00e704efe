import {
  MONEY,
  Problems,
  WEIGHT_KG,
  at,
  countryCode,
  currencyCode,
  positiveDecimal,
  requiredString,
  checkDeclarationGoods,
  type ValueTolerance,
} from "../src/shared/validation";
import { hsCode, HS_NOMENCLATURE } from "../src/shared/hs-code";
import { iossNumber } from "../src/shared/ioss";
import { isValidS10, s10CheckDigit, trackingNumber } from "../src/shared/s10";

describe("UPU S10 check digit", () => {
  it("matches the published example: serial 47312482 has check digit 9", () => {
    // S10 article: S = 4*8+7*6+3*4+1*2+2*3+4*5+8*9+2*7 = 200; C = 11 - (200 mod 11) = 9
    expect(s10CheckDigit("47312482")).toBe(9);
  });

  it("computes RR123456785CN's check digit as 5 (S = 204, 204 mod 11 = 6)", () => {
    expect(s10CheckDigit("12345678")).toBe(5);
    expect(isValidS10("RR123456785CN")).toBe(true);
  });

  it("maps 10 to 0 and 11 to 5", () => {
    expect(s10CheckDigit("00000008")).toBe(0); // S = 56, 56 mod 11 = 1 -> 10 -> 0
    expect(s10CheckDigit("00000015")).toBe(5); // S = 44, 44 mod 11 = 0 -> 11 -> 5
    expect(s10CheckDigit("00000000")).toBe(5);
  });

  it("rejects a wrong check digit or a non-ISO country", () => {
    expect(isValidS10("RR123456784CN")).toBe(false);
    expect(isValidS10("RR123456785ZZ")).toBe(false);
  });
});

describe("validators", () => {
  const check = <T>(fn: (p: Problems, path: string, v: unknown) => T, v: unknown) => {
    const p = new Problems();
    const value = fn(p, "x", v);
    return { value, problems: p.list.map((q) => q.message) };
  };

  it("builds paths", () => {
    expect(at("input", "goodsItems", 2, "hsCode")).toBe("input.goodsItems[2].hsCode");
    expect(at("declarations[17]", "currency")).toBe("declarations[17].currency");
  });

  it("tracking numbers: S10 verified, carrier formats accepted, spaces and case normalized", () => {
    expect(check(trackingNumber, "rr 123 456 785 cn").value).toBe("RR123456785CN");
    expect(check(trackingNumber, "RR123456786CN").problems[0]).toMatch(/check digit \(expected 5\)/);
    expect(check(trackingNumber, "1Z999AA10123456784").value).toBe("1Z999AA10123456784");
    expect(check(trackingNumber, "JD-0146-0000").value).toBe("JD-0146-0000");
    expect(check(trackingNumber, "ABC").problems).toHaveLength(1);
    expect(check(trackingNumber, "AB_123456").problems).toHaveLength(1);
    expect(check(trackingNumber, "X".repeat(41)).problems).toHaveLength(1);
  });

  it("countries: ISO 3166-1 alpha-2 only", () => {
    expect(check(countryCode, " de ").value).toBe("DE");
    expect(check(countryCode, "DEU").problems).toHaveLength(1);
    expect(check(countryCode, "276").problems).toHaveLength(1);
    expect(check(countryCode, "ZZ").problems).toHaveLength(1);
  });

  it("currencies: ISO 4217, not metals or test codes", () => {
    expect(check(currencyCode, "eur").value).toBe("EUR");
    expect(check(currencyCode, "XOF").value).toBe("XOF");
    for (const bad of ["EURO", "ABC", "XAU", "XTS", "XXX"]) expect(check(currencyCode, bad).problems).toHaveLength(1);
  });

  it("HS codes: chapters and headings of the shipped nomenclature (its source and edition named)", () => {
    expect(HS_NOMENCLATURE.edition).toBe("HS 2022");
    expect(HS_NOMENCLATURE.source).toMatch(/World Customs Organization/);
    expect(HS_NOMENCLATURE.source).toMatch(/UN Comtrade/);
    expect(HS_NOMENCLATURE.chapters.size).toBe(96); // 01 to 97, 77 reserved
    expect(HS_NOMENCLATURE.headings.size).toBe(1228); // every heading of HS 2022
    expect(check(hsCode, "000000").problems[0]).toMatch(/there is no chapter 00/);
    expect(check(hsCode, "770000").problems[0]).toMatch(/there is no chapter 77/);
    expect(check(hsCode, "980100").value).toBe("980100"); // chapters 98 and 99: national use (HTSUS, CN)
    expect(check(hsCode, "990000").value).toBe("990000");
    expect(check(hsCode, "611800").problems[0]).toMatch(/chapter 61 has no heading 6118/);
    expect(check(hsCode, "950100").problems[0]).toMatch(/chapter 95 has no heading 9501/); // deleted in 2007
    expect(check(hsCode, "950300").value).toBe("950300");
    expect(check(hsCode, "847130").value).toBe("847130");
    // chapters whose headings were not shipped before: now checked by heading too
    expect(check(hsCode, "848510").value).toBe("848510"); // additive manufacturing, new in HS 2022
    expect(check(hsCode, "852411").value).toBe("852411"); // flat panel display modules, new in HS 2022
    expect(check(hsCode, "030910").value).toBe("030910");
    expect(check(hsCode, "849910").problems[0]).toMatch(/chapter 84 has no heading 8499/);
    expect(check(hsCode, "071500").problems[0]).toMatch(/chapter 07 has no heading 0715/);
    expect(check(hsCode, "999999").value).toBe("999999"); // national use, not UN Comtrade's 9999
  });

  it("HS codes: 6 to 10 digits, dots ignored", () => {
    expect(check(hsCode, "6109.10").value).toBe("610910");
    expect(check(hsCode, "6109100010").value).toBe("6109100010");
    expect(check(hsCode, "61091").problems).toHaveLength(1);
    expect(check(hsCode, "61091000101").problems).toHaveLength(1);
    expect(check(hsCode, "6109AB").problems).toHaveLength(1);
  });

  it("IOSS numbers: IM + a member state's numeric country code + 7 digits; blank is null", () => {
    expect(check(iossNumber, "im2760000001").value).toBe("IM2760000001"); // Germany, 276
    expect(check(iossNumber, "IM3480000001").value).toBe("IM3480000001"); // Hungary, 348
    expect(check(iossNumber, "").value).toBeNull();
    expect(check(iossNumber, "IM123").problems).toHaveLength(1);
    expect(check(iossNumber, "IM8260000001").problems[0]).toMatch(/826 is not the numeric code of one/); // United Kingdom
    expect(check(iossNumber, "IM1234567890").problems[0]).toMatch(/123 is not the numeric code/);
  });

  it("S10 service indicators: the first letter names a service the standard assigns", () => {
    for (const ok of ["RR123456785CN", "EE123456785CN", "CP123456785CN", "LX123456785CN", "UA123456785CN", "VV123456785CN", "HA123456785CN"]) {
      expect(check(trackingNumber, ok).problems).toEqual([]);
    }
    expect(check(trackingNumber, "AA123456785CN").problems[0]).toMatch(/service indicator AA is not one the S10 standard assigns/);
    expect(check(trackingNumber, "ZZ123456785CN").problems[0]).toMatch(/service indicator ZZ/);
  });

  it("decimals: exact, positive, bounded scale and size, canonical form", () => {
    const money = (v: unknown) => check((p, path, x) => positiveDecimal(p, path, x, MONEY), v);
    const kg = (v: unknown) => check((p, path, x) => positiveDecimal(p, path, x, WEIGHT_KG), v);
    expect(money("12.50").value).toBe("12.5");
    expect(money("0012.500").value).toBe("12.5"); // trailing zeros are not extra precision
    expect(money("999999999999.99").value).toBe("999999999999.99");
    expect(money("0.1").value).toBe("0.1");
    expect(money("12.345").problems[0]).toMatch(/at most 2 decimal places/);
    expect(kg("0.125").value).toBe("0.125");
    expect(kg("0.1255").problems[0]).toMatch(/at most 3 decimal places/);
    expect(money("1000000000000").problems[0]).toMatch(/at most 12 digits/);
    expect(money("0").problems[0]).toMatch(/greater than 0/);
    expect(money("0.00").problems[0]).toMatch(/greater than 0/);
    for (const bad of ["-1", "1e3", "12,50", ".5", "5.", "", 12.5, null]) expect(money(bad).problems).toHaveLength(1);
  });

  it("strings: trimmed, non-blank, bounded", () => {
    const s = (v: unknown) => check((p, path, x) => requiredString(p, path, x, 5), v);
    expect(s("  abc ").value).toBe("abc");
    expect(s("   ").problems).toHaveLength(1);
    expect(s("abcdef").problems[0]).toMatch(/at most 5 characters/);
    expect(s("ééééé").value).toBe("ééééé");
  });
});

describe("a declaration's goods as a whole", () => {
  const EU_TOLERANCE = { amount: "0.05", relative: "0.001", rule: "EU SETTING VALUE_TOLERANCE v1" };
  const run = (d: Parameters<typeof checkDeclarationGoods>[2], items: Parameters<typeof checkDeclarationGoods>[3], tolerance: ValueTolerance | null = EU_TOLERANCE) => {
    const p = new Problems();
    checkDeclarationGoods(p, "input", d, items, tolerance);
    return p.list;
  };
  const two = [
    { currency: "EUR", value: "80.50", hsCode: "851830" },
    { currency: "EUR", value: "40.00", hsCode: "610910" },
  ];

  it("one currency for the declaration and its lines", () => {
    expect(run({ currency: "EUR", totalValue: "120.50" }, two)).toEqual([]);
    expect(run({ currency: "EUR", totalValue: "120.50" }, [two[0], { ...two[1], currency: "JPY" }])).toEqual([
      { path: "input.goodsItems[1].currency", message: "must be EUR, the declaration's currency (one currency per declaration)" },
    ]);
  });

  it("total value equals the sum of item values within the destination's tolerance rule: at, just under and just over it", () => {
    // max(EUR 0.05, 0.1% of 120.50 = 0.1205)
    expect(run({ currency: "EUR", totalValue: "120.62" }, two)).toEqual([]); // 0.12 off
    expect(run({ currency: "EUR", totalValue: "120.38" }, two)).toEqual([]);
    expect(run({ currency: "EUR", totalValue: "120.63" }, two)).toEqual([
      {
        path: "input.totalValue",
        message: "must equal the sum of the goods items' values (120.50) within 0.12 (EU SETTING VALUE_TOLERANCE v1: at most 0.05 or 0.1% of the total)",
      },
    ]);
    // small totals: the absolute amount
    const cheap = [{ currency: "EUR", value: "10.00", hsCode: "610910" }];
    expect(run({ currency: "EUR", totalValue: "10.05" }, cheap)).toEqual([]);
    expect(run({ currency: "EUR", totalValue: "10.06" }, cheap).map((x) => x.path)).toEqual(["input.totalValue"]);
    expect(run({ currency: "EUR", totalValue: "5000.00" }, two).map((x) => x.path)).toEqual(["input.totalValue"]);
  });

  it("no tolerance rule in force for the destination: the total must equal the sum exactly", () => {
    expect(run({ currency: "EUR", totalValue: "120.50" }, two, null)).toEqual([]);
    expect(run({ currency: "EUR", totalValue: "120.51" }, two, null)).toEqual([
      { path: "input.totalValue", message: "must equal the sum of the goods items' values (120.50) exactly (no VALUE_TOLERANCE rule is in force for the destination)" },
    ]);
  });

  it("excise goods are excluded from IOSS", () => {
    const wine = { currency: "EUR", value: "40.00", hsCode: "220421" };
    expect(run({ currency: "EUR", totalValue: "120.50", iossNumber: null }, [two[0], wine])).toEqual([]);
    const problems = run({ currency: "EUR", totalValue: "120.50", iossNumber: "IM2760000001" }, [two[0], wine]);
    expect(problems.map((x) => x.path)).toEqual(["input.goodsItems[1].hsCode"]);
    expect(problems[0].message).toMatch(/excise goods \(heading 2204\).*Art\. 369l/);
  });
});
