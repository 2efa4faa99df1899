/**
 * Three projects: `unit` (pure rules, no app, seconds: `npm run test:unit`), `api` (black-box
 * HTTP and WebSocket tests against an app started in the test process) and `system` (the compiled
 * server and scripts run as processes, the browser). `npm test` runs all three.
 */
const SYSTEM = ["process", "cluster", "scripts", "api-keys-cli", "playground.browser"];

const common = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.spec.ts"] },
    {
      ...common,
      displayName: "api",
      testMatch: ["<rootDir>/test/*.test.ts"],
      testPathIgnorePatterns: SYSTEM.map((name) => `/test/${name.replace(".", "\\.")}\\.test\\.ts$`),
      globalSetup: "<rootDir>/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    },
    {
      ...common,
      displayName: "system",
      testMatch: SYSTEM.map((name) => `<rootDir>/test/${name}.test.ts`),
      globalSetup: "<rootDir>/test/support/global-setup-build.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    },
  ],
};
