/**
 * `node -r ./test/testkit/register-ts.js src/main.ts`: runs the TypeScript sources as they
 * are, transpiled file by file like jest does (CommonJS, decorator metadata), so tests can
 * start the real process without `npm run build`. Transpiled files are cached by content
 * in the system's temporary directory.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

let ts; // loaded only when a file is not in the cache

const compilerOptions = {
  module: "commonjs",
  target: "es2022",
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  inlineSourceMap: true,
};
const cacheDir = path.join(os.tmpdir(), `luxor-register-ts-${require("typescript/package.json").version}`);
fs.mkdirSync(cacheDir, { recursive: true });

require.extensions[".ts"] = (module, filename) => {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto.createHash("sha256").update(JSON.stringify(compilerOptions)).update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, "utf8");
  } catch {
    ts ??= require("typescript");
    output = ts.transpileModule(source, { compilerOptions, fileName: filename }).outputText;
    const tmp = `${cached}.${process.pid}`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, cached);
  }
  module._compile(output, filename);
};
