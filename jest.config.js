/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 60000,
  transform: {
    // Transpile only (tsc type-checks the same files in `npm run build`), as CommonJS so
    // Prisma's import() of its WASM query compiler becomes require() under jest.
    "^.+\\.ts$": [
      "ts-jest",
      {
        isolatedModules: true,
        tsconfig: { module: "commonjs", moduleResolution: "node10", isolatedModules: true },
        diagnostics: { ignoreCodes: [151002] },
      },
    ],
  },
};
