import { readFileSync } from 'node:fs';

/** The shortest deployment key (HMAC-SHA-256 identity hashes) accepted: 32 bytes. */
export const MIN_DEPLOYMENT_KEY_BYTES = 32;

/**
 * A deployment key file's bytes as the key: 64 or more hex characters (`openssl rand -hex 32`, a final
 * newline allowed) are decoded; anything else is taken as raw bytes. Kiosk and hub read it alike, so they
 * hash alike. The length is the caller's to check (MIN_DEPLOYMENT_KEY_BYTES), where it can say which setting.
 */
export function parseDeploymentKey(bytes: Buffer): Buffer {
  const text = bytes.toString('utf8').trim();
  return /^[0-9a-fA-F]{64,}$/.test(text) ? Buffer.from(text, 'hex') : bytes;
}

/** The deployment key in `file` (see parseDeploymentKey). Throws the read error (ENOENT, EACCES). */
export function readDeploymentKey(file: string): Buffer {
  return parseDeploymentKey(readFileSync(file));
}

/**
 * A secret kept in a file (a password, a PIN: never on a command line, where `ps` shows it) as text.
 * Editors add a final newline; a secret never ends in one, so one is dropped.
 */
export function secretText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/\r?\n$/, '');
}

/** The secret in `file` (see secretText). Throws the read error (ENOENT, EACCES). */
export function readSecretFile(file: string): string {
  return secretText(readFileSync(file));
}
