/**
 * A real browser for tests: Debian's Chromium (apt-get install chromium; .ci/run installs it)
 * driven by playwright-core, headless, with a fresh profile, reaching 127.0.0.1 only.
 * No Chromium is a failure, never a skip: CI must not pass without the browser tests.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { settledWithin } from "../../src/shared/deadline";

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
  /** Chromium's --user-data-dir (a fresh folder per session; killChromium finds its processes by it) */
  profile: string;
  /** every request the pages made, as URLs (off-host ones included, although refused) */
  requests: string[];
  /** console errors, uncaught page errors and requests refused as off-host */
  problems: string[];
  /** Closes the browser; after 10 s kills it (and its process group) instead. */
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
    profile,
    requests,
    problems,
    async close() {
      // bounded: a Chromium that does not close (a frozen renderer on a loaded machine) would
      // hold the suite's afterAll, and its pipes jest, forever
      const closed = context.close().then(() => true, () => true);
      if (!(await settledWithin(closed, CLOSE_DEADLINE_MS))) {
        killChromium(profile);
        await settledWithin(closed, 5000);
      }
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

const CLOSE_DEADLINE_MS = 10_000;

/** Processes of the Chromium started on `profile` (its --user-data-dir): the browser and those of its helpers that name it. */
export function chromiumPids(profile: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").includes(`--user-data-dir=${profile}`)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** SIGKILLs the Chromium started on `profile` with its process group (Playwright starts it as a group leader). */
function killChromium(profile: string): void {
  for (const pid of chromiumPids(profile)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // not a group leader, or gone already
      }
    }
  }
}
