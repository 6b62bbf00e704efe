/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 60000,
  transform: {
    // Full program mode: Prisma's WASM compiler is loaded with import(), which must be
    // compiled to require() for jest's CommonJS runtime.
    "^.+\\.ts$": ["ts-jest", { diagnostics: { ignoreCodes: [151002] } }],
  },
};
