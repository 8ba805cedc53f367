// Two projects: fast pure/unit specs next to the code, and e2e suites that boot the real app
// against a real database (PostgreSQL when TEST_DATABASE_URL/DATABASE_URL is set, else PGlite).
const transform = { '^.+\\.ts$': ['@swc/jest'] };
module.exports = {
  testTimeout: 60000,
  projects: [
    { displayName: 'unit', testEnvironment: 'node', transform, rootDir: '.', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
