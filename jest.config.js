/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 120000,
  // tfjs backends are process-global state: each test file gets its own worker, two at a time (2 cores).
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/setup.ts'],
};
