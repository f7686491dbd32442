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
    // Vitest's default is one worker fewer than the CPUs: one on CI's 2 cores, so every file ran alone
    // (694 s). The suites mostly wait on real servers, daemons and timers, not on the CPU: two files at
    // once took 444 s here with all 710 tests passing. Nothing in a file depends on another file's absence
    // (free ports, own temp folders, own brokers and databases).
    maxWorkers: 2,
  },
});
