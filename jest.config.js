// @ts-check
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Gatehouse's suites, and the conformance package's own.
  roots: ['<rootDir>/test', '<rootDir>/conformance/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  // Tests run the package from its source, as the type check reads it (tsconfig.json `paths`); the
  // compiled CLI loads its build (conformance/dist).
  moduleNameMapper: { '^@gatehouse/conformance$': '<rootDir>/conformance/src/index.ts' },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 60000,
  // Each file starts its own app and database; two cores, so two workers.
  maxWorkers: 2,
  verbose: false,
};
