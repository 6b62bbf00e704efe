import {
  MONEY,
  Problems,
  WEIGHT_KG,
  at,
  countryCode,
  currencyCode,
  hsCode,
  iossNumber,
  isValidS10,
  positiveDecimal,
  requiredString,
  s10CheckDigit,
  trackingNumber,
} from "../src/shared/validation";

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

  it("HS codes: 6 to 10 digits, dots ignored", () => {
    expect(check(hsCode, "6109.10").value).toBe("610910");
    expect(check(hsCode, "6109100010").value).toBe("6109100010");
    expect(check(hsCode, "61091").problems).toHaveLength(1);
    expect(check(hsCode, "61091000101").problems).toHaveLength(1);
    expect(check(hsCode, "6109AB").problems).toHaveLength(1);
  });

  it("IOSS numbers: IM + 10 digits; blank is null", () => {
    expect(check(iossNumber, "im1234567890").value).toBe("IM1234567890");
    expect(check(iossNumber, "").value).toBeNull();
    expect(check(iossNumber, "IM123").problems).toHaveLength(1);
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
