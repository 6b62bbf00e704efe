/**
 * The GraphQL IDE in a real browser (Debian's Chromium): it loads from the hub alone, takes an
 * API key in its Headers tab, runs a query over HTTP and a subscription over WebSocket, and
 * keeps the key out of the browser's storage.
 *
 * On a loaded machine every step can be slow, so each waits for what it needs (the editors
 * built, the editor focused before typing, the typed key in the editor, the hub's answer)
 * rather than for a fixed time, and a wrong answer fails naming it instead of timing out.
 */
import type { Page } from "playwright-core";
import { createContext } from "../../src/context/context";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { openBrowser, type BrowserSession } from "../testkit/browser";

const HEADERS = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
const QUERY = ".graphiql-query-editor";
const RESULT = ".result-window";

/** Clicks into an editor and waits until CodeMirror has the focus: keys pressed before then are lost. */
async function focus(page: Page, editor: string, line?: string): Promise<void> {
  await page.locator(`${editor} .CodeMirror-line`, line ? { hasText: line } : {}).first().click();
  await page.locator(`${editor} .CodeMirror-focused`).waitFor();
}

/** Types into one of GraphiQL's editors as a person would (select all, then type). */
async function typeInto(page: Page, editor: string, text: string): Promise<void> {
  await focus(page, editor);
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

/** Waits for `done`, failing with `what` (not a silent pass) after `ms`. */
async function until(what: string, done: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error(`no ${what} within ${ms} ms`);
  }
}

const resultText = (page: Page) => page.locator(`${RESULT} .CodeMirror-code`).innerText();

/** The result of the operation just run: waits for GraphiQL to show the hub's answer (data or errors). */
async function answer(page: Page): Promise<string> {
  await page.locator(RESULT, { hasText: /"(data|errors)"/ }).waitFor();
  return resultText(page);
}

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
    // each bounded: the browser is killed after 10 s, the hub's steps fail after 15 s
    await browser?.close();
    await t?.stop();
  });

  it("loads from the hub alone, runs a query with the key typed in Headers, and does not store the key", async () => {
    const { page } = browser;
    const introspection = page.waitForResponse((r) => r.request().method() === "POST" && (r.request().postData() ?? "").includes("__schema"));
    await page.goto(t.server!.url);
    expect((await introspection).status()).toBe(200); // the schema (docs, completion) loads before any key is typed
    // the editors are built after the page loads: Run before then does nothing
    await page.locator(`${QUERY} .CodeMirror-code`, { hasText: "query Me" }).waitFor();
    await page.locator(`${RESULT} .CodeMirror`).waitFor();

    // the Headers tab is open with `"Authorization": "Bearer "`: the key goes after "Bearer "
    await focus(page, HEADERS, "Bearer");
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.type(customs.key);
    await page.locator(`${HEADERS} .CodeMirror-code`, { hasText: `"Bearer ${customs.key}"` }).waitFor();
    await page.locator(".graphiql-execute-button").click();
    const result = await answer(page);
    expect(result).toContain("Zoll Frankfurt");
    expect(result).toMatch(/"role": "OFFICER"/);

    const stored = await page.evaluate<string>("JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })");
    expect(stored).toContain("query Me"); // GraphiQL keeps the tabs' queries...
    expect(stored).not.toContain(customs.key); // ...but not the headers
    expect(browser.requests.every((u) => u.startsWith(new URL(t.server!.url).origin))).toBe(true);
    expect(browser.problems).toEqual([]);
  });

  it("runs a subscription over WebSocket with the same key", async () => {
    const { page } = browser;
    const platform = await makeParty(t, "PLATFORM", "IE", "Shop");
    const frames: string[] = [];
    page.on("websocket", (ws) => {
      ws.on("framesent", (f) => frames.push(`sent ${String(f.payload)}`));
      ws.on("framereceived", (f) => frames.push(`received ${String(f.payload)}`));
    });
    await typeInto(page, QUERY, "subscription Holds { holdPlaced { declarationId kind");
    await page.keyboard.press("Escape"); // closes the completion popup
    // GraphiQL reads the operation's name from the editor after a short delay: the tab shows it
    await page.locator(".graphiql-tab-active", { hasText: "Holds" }).waitFor();
    await page.locator(".graphiql-execute-button").click();
    // the key went in connection_init, was accepted (connection_ack), and the subscription started
    await until("subscribe message sent", () => frames.some((f) => f.startsWith("sent") && f.includes('"subscribe"')));
    expect(frames.find((f) => f.includes("connection_init"))).toContain(customs.key);
    expect(frames.some((f) => f.startsWith("received") && f.includes("connection_ack"))).toBe(true);
    // The hub starts listening a moment after the subscribe message, and gives no sign when:
    // a hold placed before then is not delivered. So holds are placed, on parcels of their
    // own, until one is shown (rather than once, after a fixed pause).
    const placed: string[] = [];
    const shown = () => page.locator(RESULT, { hasText: /"declarationId": "/ }).isVisible();
    for (const end = Date.now() + 20_000; !(await shown()); ) {
      if (Date.now() > end) throw new Error(`no hold shown within 20 s (placed on ${placed.join(", ")})`);
      const { declaration } = await t.hub.services.declarations.filing.fileOne(platform.principal, declarationInput() as never);
      await t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), declaration.id, { kind: "RFI", reason: "check" } as never);
      placed.push(declaration.id);
      await page.locator(RESULT, { hasText: /"declarationId": "/ }).waitFor({ timeout: 2000 }).catch(() => undefined);
    }
    const result = await resultText(page);
    expect(placed.some((id) => result.includes(id))).toBe(true);
    expect(result).toMatch(/"kind": "RFI"/);
    expect(browser.problems).toEqual([]);
  });
});
