import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources of every workspace package, not a stale dist/.
    alias: {
      '@qrkiosk/protocol': src('protocol'),
      '@qrkiosk/gateway': src('gateway'),
      '@qrkiosk/hub': src('hub'),
      '@qrkiosk/firmware-sim': src('firmware-sim'),
      '@qrkiosk/testkit': src('testkit'),
    },
  },
  test: {
    // Unit tests beside each package; integration/ holds the suites that cross packages on real parts.
    include: ['*/test/**/*.test.ts', 'integration/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
