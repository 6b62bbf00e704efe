/**
 * The measurement page (/dashboard) in a real browser (Debian's Chromium): it loads from the
 * hub alone, draws its charts from declarationStats, filters them, keeps the key for the tab
 * only, and shows another party's numbers only as the policy allows (a carrier sees the
 * parcels it carries; destination customs sees every parcel bound for its country).
 */
import type { Page } from "playwright-core";
import { createContext } from "../../src/context/context";
import { asRole, declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { openBrowser, type BrowserSession } from "../testkit/browser";

const CARDS = ["volumes", "rates", "clearance", "revenue"];

/** Types the key as a person would and waits for every chart to be drawn (or to fail). */
async function showWith(page: Page, key: string): Promise<void> {
  await page.locator("#key").fill(key);
  await page.locator("#key-form button[type=submit]").click();
  await allDrawn(page);
}

async function allDrawn(page: Page): Promise<void> {
  for (const id of CARDS) await page.locator(`#card-${id}[data-state="drawn"], #card-${id}[data-state="error"]`).waitFor();
  for (const id of CARDS) expect([id, await page.locator(`#card-${id}`).getAttribute("data-state")]).toEqual([id, "drawn"]);
}

/** The numbers behind a chart, as the page shows them under "Numbers" (opened if closed). */
async function numbers(page: Page, card: string): Promise<string> {
  const details = page.locator(`#card-${card} details`);
  if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
  return page.locator(`#card-${card} table`).innerText();
}

const total = async (page: Page, card: string) => Number(await page.locator(`#card-${card}`).getAttribute("data-total"));

/** Pixels the chart painted on its canvas (0: nothing drawn). */
const painted = (page: Page, card: string) =>
  page.evaluate<number>(`(() => {
    const c = document.querySelector("#card-${card} canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  })()`);

describe("the measurement page in a browser", () => {
  let t: TestHub;
  let customs: TestParty, carrier: TestParty, shopA: TestParty, shopB: TestParty;
  let browser: BrowserSession;

  beforeAll(async () => {
    t = await startTestHub();
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll Analyse", "ANALYST");
    carrier = await makeParty(t, "CARRIER", "NL", "SwiftAir");
    shopA = await makeParty(t, "PLATFORM", "IE", "ShopVerse");
    shopB = await makeParty(t, "PLATFORM", "IE", "BuyMore");
    // to DE: ShopVerse 8 (6 carried by SwiftAir), BuyMore 6; to FR: 5 (not DE customs' business)
    const plan: [TestParty, string, boolean][] = [
      ...Array.from({ length: 8 }, (_, i): [TestParty, string, boolean] => [shopA, "DE", i < 6]),
      ...Array.from({ length: 6 }, (): [TestParty, string, boolean] => [shopB, "DE", false]),
      ...Array.from({ length: 5 }, (): [TestParty, string, boolean] => [shopA, "FR", false]),
    ];
    const filed = [];
    for (const [shop, dest, carried] of plan) {
      const input = declarationInput({ destinationCountry: dest, buyerCountry: dest, platformId: shop.id, carrierId: carried ? carrier.id : undefined });
      filed.push((await t.hub.services.declarations.filing.fileOne(shop.principal, input as never)).declaration);
    }
    // holds on three German parcels (by an officer of the same authority), so the rates have something to show
    for (const d of filed.slice(0, 3)) {
      await t.hub.services.workflow.placeHold(createContext(t.hub, asRole(customs, "OFFICER")), d.id, { kind: "RFI", reason: "check" } as never);
    }
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("draws destination customs' charts from live data, and filters one", async () => {
    const { page } = browser;
    await page.goto(new URL("/dashboard", t.server!.url).href);
    await showWith(page, customs.key);
    await page.locator("#viewer", { hasText: "Zoll Analyse" }).waitFor();

    expect(await total(page, "volumes")).toBe(14); // every parcel bound for DE, none for FR
    expect(await total(page, "rates")).toBe(14);
    for (const card of CARDS) expect([card, (await painted(page, card)) > 500]).toEqual([card, true]);
    expect(await numbers(page, "rates")).toMatch(/DE\s+14\s+21\.4/); // 3 holds of 14 parcels: 21.4 %

    // one chart filtered by platform, the others untouched
    await page.locator("#card-volumes select[name=platform]").selectOption({ label: "BuyMore" });
    await page.locator("#card-volumes button[type=submit]").click();
    await page.locator('#card-volumes[data-state="drawn"][data-total="6"]').waitFor();
    expect(await total(page, "rates")).toBe(14);
    // regrouped by platform: names, not ids
    await page.locator("#card-rates select[name=by]").selectOption("PLATFORM");
    await page.locator("#card-rates table", { hasText: "ShopVerse" }).waitFor();
    expect(await numbers(page, "rates")).toMatch(/BuyMore\s+6/);
    expect(browser.problems).toEqual([]);
  });

  it("shows a carrier only the parcels it carries, keeping its key for the tab only", async () => {
    const { page } = browser;
    await page.locator("#forget").click();
    await showWith(page, carrier.key);
    await page.locator("#viewer", { hasText: "SwiftAir" }).waitFor();
    expect(await total(page, "volumes")).toBe(6); // fewer than customs' 14: only what it carries
    expect(await numbers(page, "volumes")).toMatch(/\d{4}-\d{2}\s+6\s/); // this month: 6
    expect(await numbers(page, "rates")).toMatch(/DE\s+6\s/); // the filters were reset with the key
    // the platform is COMMERCIAL data, which the carrier may not read: nothing to group by
    await page.locator("#card-rates select[name=by]").selectOption("PLATFORM");
    await page.locator('#card-rates[data-state="drawn"][data-total="0"]').waitFor();

    const stored = await page.evaluate<string[]>("[JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })]");
    expect(stored[0]).toContain(carrier.key);
    expect(stored[1]).not.toContain(carrier.key);
    await page.reload(); // the same tab still has it
    await allDrawn(page);
    expect(await total(page, "volumes")).toBe(6);
    expect(browser.requests.every((u) => u.startsWith(new URL(t.server!.url).origin))).toBe(true);
    expect(browser.problems).toEqual([]);
  });
});
