import { MIN_DEPLOYMENT_KEY_BYTES, readDeploymentKey, readSecretFile } from '@qrkiosk/protocol';

/**
 * A secret file the command cannot do without, read with protocol's readers (kiosk and hub read them
 * alike): a missing or unreadable one, or a deployment key too short, ends the command with a
 * bilingual line naming the file and the fix — never a stack trace. Exit 2, like a bad flag.
 */
function orExit<T>(file: string, what: { vi: string; en: string }, read: () => T): T {
  try {
    return read();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    process.stderr.write(
      `Không đọc được ${what.vi} ${file} (${code}): tạo tệp, chmod 600 / cannot read the ${what.en} ${file} (${code}): create it, chmod 600\n`,
    );
    process.exit(2);
  }
}

/** The deployment key file (protocol's readDeploymentKey): 64+ hex characters, or raw bytes; 32 bytes at least. */
export function readKeyFile(file: string): Buffer {
  const key = orExit(file, { vi: 'tệp khóa', en: 'key file' }, () => readDeploymentKey(file));
  if (key.length < MIN_DEPLOYMENT_KEY_BYTES) {
    process.stderr.write(
      `Khóa trong ${file} quá ngắn (${key.length} byte): openssl rand -hex 32 > TỆP / the key in ${file} is too short (${key.length} bytes): openssl rand -hex 32 > FILE\n`,
    );
    process.exit(2);
  }
  return key;
}

/** A password kept in a file (never on the command line, where `ps` shows it); one final newline dropped. */
export function readPasswordFile(file: string): string {
  return orExit(file, { vi: 'tệp mật khẩu', en: 'password file' }, () => readSecretFile(file));
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
