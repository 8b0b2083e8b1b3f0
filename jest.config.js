/** Test tiers: unit (pure), workflows (real Temporal + Redis), api and e2e (the real stack over HTTP). */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  testTimeout: 120_000,
  // Two cores: test files that start workers and fleets share them.
  maxWorkers: 2,
  verbose: true,
};
