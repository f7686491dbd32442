import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from './child.js';
import { freePort, waitForPort } from './net.js';
import { makeTempDir } from './tmp.js';

/**
 * A real SMTP server for tests: aiosmtpd (Debian python3-aiosmtpd) on a free loopback port. The
 * few lines of Python below are only the harness: aiosmtpd speaks SMTP, and each message it accepts
 * is parsed by Python's own `email` package (RFC 5322/2047/2045 decoding, written by nobody here)
 * and written to a folder as JSON — so a test reads what a real mail client would show.
 */
const HARNESS = `
import json, os, signal, sys, threading
from email import policy
from email.parser import BytesParser
from aiosmtpd.controller import Controller

out, port = sys.argv[1], int(sys.argv[2])
count = [0]
lock = threading.Lock()

class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        body = msg.get_body(preferencelist=('plain',))
        atts = []
        for part in msg.iter_attachments():
            raw = part.get_payload(decode=True) or b''
            atts.append({'filename': part.get_filename(), 'contentType': part.get_content_type(),
                         'content': raw.decode('utf-8', 'replace')})
        record = {'mailFrom': envelope.mail_from, 'rcptTos': list(envelope.rcpt_tos),
                  'from': str(msg['from']), 'to': str(msg['to']), 'subject': str(msg['subject']),
                  'date': str(msg['date']), 'text': body.get_content() if body else '', 'attachments': atts}
        with lock:
            count[0] += 1
            name = os.path.join(out, '%06d' % count[0])
        with open(name + '.eml', 'wb') as f:
            f.write(envelope.content)
        with open(name + '.tmp', 'w', encoding='utf-8') as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(name + '.tmp', name + '.json')
        return '250 OK'

c = Controller(Sink(), hostname='127.0.0.1', port=port)
c.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
c.stop()
`;

export interface ReceivedMail {
  /** SMTP envelope. */
  mailFrom: string;
  rcptTos: string[];
  /** Headers as decoded by Python's email package. */
  from: string;
  to: string;
  subject: string;
  date: string;
  /** The text/plain body, decoded, with SMTP's CRLF line ends read as \n. */
  text: string;
  attachments: Array<{ filename: string | null; contentType: string; content: string }>;
  /** The message as received, for a failing test. */
  raw: string;
}

export interface RunningSmtp {
  host: string;
  port: number;
  dir: string;
  /** Every message received so far, in arrival order. */
  messages(): ReceivedMail[];
  /** Stops the server (SIGTERM, SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>;
  log(): string;
}

export async function startSmtp(): Promise<RunningSmtp> {
  const dir = makeTempDir('smtp-');
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn('/usr/bin/python3', ['-c', HARNESS, dir, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const died = exited.then(() => {
    throw new Error(`aiosmtpd exited: ${output}`);
  });
  try {
    await Promise.race([waitForPort(port, 5000), died]);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(
      `aiosmtpd did not start on port ${port} (apt-get install python3-aiosmtpd): ${(err as Error).message}`,
    );
  }
  died.catch(() => undefined);
  return {
    host: '127.0.0.1',
    port,
    dir,
    messages: () =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => {
          const m = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Omit<ReceivedMail, 'raw'>;
          return {
            ...m,
            text: m.text.replace(/\r\n/g, '\n'),
            raw: readFileSync(join(dir, f.replace(/\.json$/, '.eml')), 'utf8'),
          };
        }),
    stop: () => stopChild(child, exited),
    log: () => output,
  };
}
