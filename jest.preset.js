// Shared jest settings for every Loom package. Tests run on the TypeScript sources
// (transformed by @swc/jest, which strips types only; `tsc` does the type check in
// the `typecheck` target), and `@loom/*` imports resolve to the sibling package's
// `src/` so a change in `tensor` is seen by the `nn` tests without a rebuild.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  // tfjs keeps its engine on the global object; jest's soft-delete of globals between
  // files only warns about it.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@loom/(tensor|data|nn|trainer|coordinator)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@loom/cli$': path.join(root, 'apps/cli/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
