import { readFileSync } from 'node:fs';

/** The deployment key file: 64+ hex characters, or raw bytes. */
export function readKeyFile(file: string): Buffer {
  const text = readFileSync(file, 'utf8').trim();
  return /^[0-9a-fA-F]{64,}$/.test(text) ? Buffer.from(text, 'hex') : readFileSync(file);
}

/** A password kept in a file (never on the command line, where `ps` shows it); one final newline dropped. */
export function readPasswordFile(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** The broker login of the hub's commands: URL, and username and password file when given. */
export function brokerLogin(values: {
  mqtt: string;
  username?: string | undefined;
  'password-file'?: string | undefined;
}): { url: string; username?: string; password?: string } {
  return {
    url: values.mqtt,
    ...(values.username ? { username: values.username } : {}),
    ...(values['password-file'] ? { password: readPasswordFile(values['password-file']) } : {}),
  };
}

/** A line on standard output. */
export const out = (s: string) => process.stdout.write(`${s}\n`);

/** A refusal on standard error, Vietnamese then English; exit code 2. */
export const fail = (vi: string, en: string): number => {
  process.stderr.write(`${vi} / ${en}\n`);
  return 2;
};
