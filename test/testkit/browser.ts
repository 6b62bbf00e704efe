/**
 * A real browser for tests: Debian's Chromium (apt-get install chromium; .ci/run installs it)
 * driven by playwright-core, headless, with a fresh profile, reaching 127.0.0.1 only.
 * No Chromium is a failure, never a skip: CI must not pass without the browser tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface BrowserSession {
  page: Page;
  context: BrowserContext;
  /** every request the pages made, as URLs (off-host ones included, although refused) */
  requests: string[];
  /** console errors, uncaught page errors and requests refused as off-host */
  problems: string[];
  close(): Promise<void>;
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return true;
  return hostname === "127.0.0.1" || hostname === "localhost" || hostname === "[::1]";
}

/** Opens a headless Chromium on a fresh profile; requests leaving 127.0.0.1 are aborted and recorded. */
export async function openBrowser(opts: { timeoutMs?: number } = {}): Promise<BrowserSession> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install -y chromium), as .ci/run does`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-chromium-"));
  // the profile directory is Chromium's --user-data-dir (Playwright passes it as such)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(opts.timeoutMs ?? 15_000);
  const requests: string[] = [];
  const problems: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    if (isLoopback(url)) return route.continue();
    problems.push(`off-host request refused: ${url}`);
    return route.abort("blockedbyclient");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  return {
    page,
    context,
    requests,
    problems,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
