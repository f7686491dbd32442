#!/usr/bin/env node
/**
 * Regenerates the lights-and-sounds tables of docs/guard-guide.md from the signal patterns:
 * `npm run guard-guide` (builds first). gateway/test/signal.test.ts fails when they disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patternsWith, withGuardGuideTables } from '../gateway/dist/signal/index.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'guard-guide.md');
// The relay pulse is site-set (gpio.relayPulseMs); the guide states the default, 1 s.
writeFileSync(file, withGuardGuideTables(readFileSync(file, 'utf8'), patternsWith({}, 1000)));
console.log(`wrote ${file}`);
