/**
 * Windows-1252 as encoders nobody here wrote see it: Python's `cp1252` codec and glibc's `iconv`.
 * Tests make their mojibake with these, never with the code under test or with the runtime's
 * TextDecoder (which on Node 20 decodes 0x80–0x9F as C1 controls).
 */
import { spawnSync } from 'node:child_process';

/** The five bytes Windows-1252 leaves undefined; Python and iconv refuse them. */
export const UNDEFINED_BYTES = [0x81, 0x8d, 0x8f, 0x90, 0x9d];

/**
 * Python registers an error handler that passes an undefined byte through as U+0080–U+009F — what
 * WHATWG's index and Windows' MultiByteToWideChar do. That one convention is ours, stated here; all
 * other 251 bytes are Python's own table.
 */
const PYTHON = `
import codecs, json, sys
codecs.register_error('c1', lambda e: (''.join(chr(b) for b in e.object[e.start:e.end]), e.end))
req = json.load(sys.stdin)
if req['op'] == 'table':
    out = []
    for b in range(256):
        try:
            out.append(bytes([b]).decode('cp1252'))
        except UnicodeDecodeError:
            out.append(None)
else:
    out = [t.encode('utf-8').decode('cp1252', errors='c1') for t in req['texts']]
json.dump(out, sys.stdout)
`;

function python<T>(request: object): T {
  const r = spawnSync('python3', ['-c', PYTHON], { input: JSON.stringify(request), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Each text's UTF-8 bytes decoded as Windows-1252 by Python (one process for the whole batch). */
export const mojibakeByPython = (texts: string[]): string[] => python<string[]>({ op: 'mojibake', texts });

/** Python's cp1252 decoding of every byte; null where the codec refuses the byte. */
export const cp1252TableByPython = (): Array<string | null> => python<Array<string | null>>({ op: 'table' });

/** `iconv -f CP1252 -t UTF-8` over the text's UTF-8 bytes; null when glibc refuses (an undefined byte). */
export function mojibakeByIconv(text: string): string | null {
  const r = spawnSync('iconv', ['-f', 'CP1252', '-t', 'UTF-8'], { input: Buffer.from(text, 'utf8') });
  return r.status === 0 ? r.stdout.toString('utf8') : null;
}
