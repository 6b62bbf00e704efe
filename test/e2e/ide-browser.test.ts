/**
 * The GraphQL IDE in a real browser (Debian's Chromium): it loads from the hub alone, takes an
 * API key in its Headers tab, runs a query over HTTP and a subscription over WebSocket, and
 * keeps the key out of the browser's storage.
 */
import type { Page } from "playwright-core";
import { createContext } from "../../src/context/context";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { openBrowser, type BrowserSession } from "../testkit/browser";

/** Types into one of GraphiQL's editors as a person would (select all, then type). */
async function typeInto(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(`${editor} .CodeMirror-code`).first().click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

async function until(done: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !done() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
}

const resultText = (page: Page) => page.locator(".result-window .CodeMirror-code").innerText();

describe("the GraphQL IDE in a browser", () => {
  let t: TestHub;
  let customs: TestParty;
  let browser: BrowserSession;

  beforeAll(async () => {
    t = await startTestHub();
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll Frankfurt");
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("loads from the hub alone, runs a query with the key typed in Headers, and does not store the key", async () => {
    const { page } = browser;
    const introspection = page.waitForResponse((r) => r.request().method() === "POST" && (r.request().postData() ?? "").includes("__schema"));
    await page.goto(t.server!.url);
    expect((await introspection).status()).toBe(200); // the schema (docs, completion) loads before any key is typed

    // the Headers tab is open with `"Authorization": "Bearer "`: the key goes after "Bearer "
    await page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror-line", { hasText: "Bearer" }).click();
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.type(customs.key);
    await page.locator(".graphiql-execute-button").click();
    await page.locator(".result-window", { hasText: "Zoll Frankfurt" }).waitFor();
    expect(await resultText(page)).toMatch(/"role": "OFFICER"/);

    const stored = await page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })");
    expect(stored).toContain("query Me"); // GraphiQL keeps the tabs' queries...
    expect(stored).not.toContain(customs.key); // ...but not the headers
    expect(browser.requests.every((u) => u.startsWith(new URL(t.server!.url).origin))).toBe(true);
    expect(browser.problems).toEqual([]);
  });

  it("runs a subscription over WebSocket with the same key", async () => {
    const { page } = browser;
    const platform = await makeParty(t, "PLATFORM", "IE", "Shop");
    const { declaration } = await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never);
    const frames: string[] = [];
    page.on("websocket", (ws) => {
      ws.on("framesent", (f) => frames.push(`sent ${String(f.payload)}`));
      ws.on("framereceived", (f) => frames.push(`received ${String(f.payload)}`));
    });
    await typeInto(page, ".graphiql-query-editor", "subscription Holds { holdPlaced { declarationId kind");
    await page.keyboard.press("Escape"); // closes the completion popup
    // GraphiQL reads the operation's name from the editor after a short delay: the tab shows it
    await page.locator(".graphiql-tab-active", { hasText: "Holds" }).waitFor();
    await page.locator(".graphiql-execute-button").click();
    // the key went in connection_init, was accepted (connection_ack), and the subscription started
    await until(() => frames.some((f) => f.startsWith("sent") && f.includes('"subscribe"')));
    expect(frames.find((f) => f.includes("connection_init"))).toContain(customs.key);
    expect(frames.some((f) => f.startsWith("received") && f.includes("connection_ack"))).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // the hub registers the subscription
    await t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), declaration.id, { kind: "RFI", reason: "check" } as never);
    await page.locator(".result-window", { hasText: declaration.id }).waitFor();
    expect(await resultText(page)).toMatch(/"kind": "RFI"/);
    expect(browser.problems).toEqual([]);
  });
});
