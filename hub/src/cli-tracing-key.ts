import { parseArgs } from 'node:util';
import { generateTracingKeys, TracingKeyError } from '@qrkiosk/protocol';
import { out } from './cli-files.js';

export const TRACING_KEY_USAGE = [
  'qrkiosk-hub tracing-key init --out DIR            (DIR/tracing.key: keep it offline with the tracing officer; DIR/tracing.pub: privacy.tracingPublicKeyFile on every kiosk)',
];

/**
 * `tracing-key init --out DIR`: the deployment's tracing key pair (protocol/src/sealed-identity.ts). The hub's
 * ingest never needs the private half — it only stores the boxes kiosks seal to the public one — so it is
 * written where the officer says, never into the hub's data folder by default, and never over an existing file.
 */
export function tracingKeyCommand(argv: string[]): number {
  const [action, ...rest] = argv;
  let dir: string | undefined;
  try {
    dir = parseArgs({ args: rest, options: { out: { type: 'string' } } }).values.out;
  } catch {
    dir = undefined;
  }
  if (action !== 'init' || !dir) {
    process.stderr.write(`${TRACING_KEY_USAGE.join('\n')}\n`);
    return 2;
  }
  try {
    const made = generateTracingKeys(dir);
    out(`Khóa bí mật truy vết / tracing private key: ${made.privateFile}`);
    out(`Khóa công khai truy vết / tracing public key: ${made.publicFile}`);
    out(`Mã khóa / key id: ${made.kid}`);
    return 0;
  } catch (err) {
    if (!(err instanceof TracingKeyError)) throw err;
    process.stderr.write(`${err.text.vi} / ${err.text.en}\n`);
    return 2;
  }
}
