/**
 * The browser tests' teardown is bounded: a Chromium that does not answer (here stopped with
 * SIGSTOP, as a frozen browser on a loaded machine) is killed with its helpers after 10 s,
 * instead of holding the suite's afterAll, and jest, forever.
 */
import fs from "node:fs";
import { chromiumPids, openBrowser } from "../testkit/browser";

/** Whether `pid` runs (a zombie, killed and not yet reaped by its parent, does not). */
function running(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/\(.*\)/, "name").split(" ")[2] !== "Z";
  } catch {
    return false;
  }
}

describe("a browser session's close", () => {
  it("kills a browser that does not close within 10 s, helpers included", async () => {
    const browser = await openBrowser();
    await browser.page.setContent("<p>frozen</p>");
    const pids = chromiumPids(browser.profile);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    const started = Date.now();
    await browser.close();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(9_000); // it did not answer: waited for it first
    expect(took).toBeLessThan(25_000);
    expect(pids.filter(running)).toEqual([]);
  }, 60_000);
});
