module.exports = {
  ...require('../jest.preset.js'),
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/fixtures/'],
};
