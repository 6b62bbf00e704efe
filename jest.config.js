/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 60000,
  transform: {
    // isolatedModules: per-file transpile (fast; decorator metadata is still emitted)
    "^.+\\.ts$": ["ts-jest", { isolatedModules: true, diagnostics: { ignoreCodes: [151002] } }],
  },
};
