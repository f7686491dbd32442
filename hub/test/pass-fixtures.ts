import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A token of a pass's shape and length for print tests: `QRKP1:` + base32 (RFC 4648, no padding) of 99
 * random bytes, the size of a signed pass body with a ward id (about 35 bytes) and its 64-byte
 * signature. Base32 by Python's base64.b32encode, so the test depends on no encoder of ours.
 */
export function tokenForPrintTest(bytes = 99): string {
  const b32 = execFileSync(
    'python3',
    [
      '-c',
      'import base64,sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))',
      randomBytes(bytes).toString('hex'),
    ],
    { encoding: 'utf8' },
  );
  return `QRKP1:${b32.trim()}`;
}
