// npm run authority:table — rewrites README.md's "who may do what" table from
// src/authz/authority.ts (the one table the policy engine decides writes from).
import fs from "node:fs";
import path from "node:path";
import { withAuthorityTable, TABLE_START } from "../src/authz/authority-doc";

const readmePath = path.join(__dirname, "..", "..", "README.md");
const readme = fs.readFileSync(readmePath, "utf8");
if (!readme.includes(TABLE_START)) {
  console.error(`README.md has no ${TABLE_START} marker`);
  process.exitCode = 1;
} else {
  fs.writeFileSync(readmePath, withAuthorityTable(readme));
  console.log("README.md: who-may-do-what table written from src/authz/authority.ts");
}
