import fs from "node:fs";
import path from "node:path";
import { authorityTableMarkdown, TABLE_START } from "../src/authz/authority-doc";
import { AUTHORITY, grantableContributions, mayReceive } from "../src/authz/authority";

describe("README's who-may-do-what table", () => {
  it("is the one generated from src/authz/authority.ts (run `npm run authority:table`)", () => {
    const readme = fs.readFileSync(path.join(__dirname, "../README.md"), "utf8");
    expect(readme).toContain(TABLE_START);
    expect(readme).toContain(authorityTableMarkdown());
  });
});

describe("authority table", () => {
  it("gives customs decisions to customs of the destination only", () => {
    for (const row of AUTHORITY.filter((r) => r.customsDecision)) {
      expect({ action: row.action, who: row.who }).toEqual({ action: row.action, who: ["destinationOfficer"] });
    }
  });

  it("lets a party grant only what it holds itself; customs decisions only to customs", () => {
    expect([...grantableContributions("PLATFORM")].sort()).toEqual(["AMEND", "STATUS_EVENTS"]);
    expect(grantableContributions("CARRIER").has("HOLDS")).toBe(false);
    expect(grantableContributions("CUSTOMS").has("HOLDS")).toBe(true);
    expect(mayReceive("HOLDS", "CARRIER")).toBe(false);
    expect(mayReceive("HOLDS", "CUSTOMS")).toBe(true);
    expect(mayReceive("AMEND", "BROKER")).toBe(true);
  });
});
