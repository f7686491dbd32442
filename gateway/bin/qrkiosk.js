#!/usr/bin/env node
// npm links a package's bins while it installs, before anything is built: a bin that points into
// dist/ does not exist then, and a fresh clone's `npx qrkiosk` failed ("could not determine
// executable"). This file is committed, so the link always exists; the root `prepare` script builds
// dist/ at the end of `npm ci`. If dist/ is still missing (a failed build, a `--ignore-scripts`
// install), say how to build instead of a stack trace.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('qrkiosk chưa được build: chạy `npm run build` ở thư mục gốc của kho mã.');
  console.error('qrkiosk is not built: run `npm run build` at the repository root.');
  process.exit(1);
}
await import(main.href);
