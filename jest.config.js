// Tests are TypeScript run as native ES modules (NestJS 12 ships only ESM); swc adds the
// decorator metadata that Nest's dependency injection reads, tsc does the type-check separately.
import { readFileSync } from 'node:fs';

const swc = JSON.parse(readFileSync(new URL('./.swcrc.json', import.meta.url), 'utf8'));
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // Source imports say `./x.js` as Node requires; jest finds the `.ts` file behind it.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swc, swcrc: false }] },
  testEnvironment: 'node',
};

export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.real\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'real',
      // Real components (the built release, later Terraform, Apache, the AWS emulator): slower.
      testMatch: ['<rootDir>/__tests__/**/*.real.test.ts'],
    },
  ],
};
