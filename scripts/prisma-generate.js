// Generates the Prisma client without downloading anything: `prisma generate` only checks
// that a schema engine binary exists and never runs it, so Node's own binary stands in.
// Migrations use the WASM schema engine instead (src/infra/migrations.ts).
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
execFileSync(
  process.execPath,
  [require.resolve("prisma/build/index.js"), "generate", "--config", "prisma/prisma.config.ts"],
  {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  },
);
