import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { printHubSdl } from "../src/schema/build";

// Writes schema/schema.graphql from the code (or, with --check, fails when it is stale).
async function main() {
  const file = path.resolve(__dirname, "../../schema/schema.graphql");
  const sdl = await printHubSdl();
  if (process.argv.includes("--check")) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (current !== sdl) {
      console.error("schema/schema.graphql is stale: run `npm run schema:emit` and commit it");
      process.exit(1);
    }
    console.log("schema/schema.graphql is up to date");
    return;
  }
  fs.writeFileSync(file, sdl);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
