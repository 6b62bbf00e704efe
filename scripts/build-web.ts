/**
 * Bundles the hub's browser pages (src/web/*) from npm packages into dist/web, at build time:
 * the hub serves them itself (src/server/web.ts), with nothing fetched from a CDN.
 * Run by `npm run build`, after tsc.
 */
import fs from "node:fs";
import path from "node:path";
import { build } from "esbuild";

/** One page: src/web/<name>/main.ts(x) and index.html become dist/web/<name>/{<name>.js,<name>.css,index.html}. */
export const PAGES = ["ide", "dashboard"] as const;

/** The pages' sources, relative to the project root (own tsconfig: DOM and JSX, outside the server's compile). */
const WEB_SOURCES = path.join("src", "web");

function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

async function buildPage(root: string, name: string): Promise<void> {
  const outdir = path.join(root, "dist", "web", name);
  fs.rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { [name]: ["main.tsx", "main.ts"].map((f) => path.join(WEB_SOURCES, name, f)).find((f) => fs.existsSync(path.join(root, f)))! },
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    minify: true,
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    // fonts and icons are inlined: the page needs no other request than its script and style
    loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".svg": "dataurl", ".png": "dataurl" },
    legalComments: "linked",
    logLevel: "warning",
  });
  fs.copyFileSync(path.join(root, WEB_SOURCES, name, "index.html"), path.join(outdir, "index.html"));
}

async function main(): Promise<void> {
  const root = projectRoot();
  for (const page of PAGES) await buildPage(root, page);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
