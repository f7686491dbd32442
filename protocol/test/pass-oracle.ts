/**
 * What the pass tests share (pass-token.test.ts, pass.test.ts): the independent oracle written from
 * docs/protocol.md with Python's base64 and the `cryptography` package (oracles/qrkiosk_pass.py), and one
 * hub key with the ring a kiosk would hold.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing, keyId } from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const oracle = join(import.meta.dirname, 'oracles', 'qrkiosk_pass.py');
export const py = (...args: string[]) => execFileSync(python, [oracle, ...args], { encoding: 'utf8' }).trim();

export const pair = () => generateKeyPairSync('ed25519');
export const rawPublic = (k: KeyObject) =>
  k.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
export const seed = (k: KeyObject) =>
  Buffer.from(k.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
export const hub = pair();
export const hubId = keyId(hub.publicKey);
export const ring = new KeyRing();
ring.add(hub.publicKey);
