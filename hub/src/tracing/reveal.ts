import {
  type CheckinMessage,
  openIdentity,
  readTracingPrivateKey,
  SealedIdentityError,
  TracingKeyError,
  type TracingPrivateKey,
} from '@qrkiosk/protocol';
import type { Text } from '../text.js';
import type { RevealedIdentity } from './result.js';

/** A reveal that cannot go on: the key is not a tracing key, or no box of this trace was sealed to it. */
export class RevealError extends Error {
  constructor(
    readonly code: 'bad-key' | 'wrong-key',
    readonly text: Text,
  ) {
    super(text.en);
    this.name = 'RevealError';
  }
}

/**
 * The tracing keys given for one request (PEM text: a rotated deployment has several). A file that
 * is not an X25519 private key is refused here, before anything is read from the store. The key
 * objects live as long as the request; nothing keeps them.
 */
export function readTracingKeys(pems: ReadonlyArray<string | Buffer>): TracingPrivateKey[] {
  return pems.map((pem, i) => {
    try {
      return readTracingPrivateKey(pem);
    } catch (err) {
      if (!(err instanceof TracingKeyError)) throw err;
      const which = pems.length > 1 ? ` #${i + 1}` : '';
      const why = (err as { text?: Text }).text ?? { vi: err.message, en: err.message };
      throw new RevealError('bad-key', {
        vi: `Khóa truy vết${which} không đọc được (cần tệp tracing.key do "qrkiosk-hub tracing-key init" tạo): ${why.vi}`,
        en: `Tracing key${which} unreadable (the tracing.key file "qrkiosk-hub tracing-key init" wrote is needed): ${why.en}`,
      });
    }
  });
}

/** One person's opened identities (deduplicated by document) and how many check-ins stayed sealed. */
export interface Opened {
  identities: RevealedIdentity[];
  unopened: number;
  /** Check-ins sealed to a key not given (a tally across people tells a wrong key from an old kiosk). */
  otherKey: number;
}

/** Opens the sealed identity of each check-in of one person; the clear text goes only into the answer. */
export function openPerson(
  keys: ReadonlyArray<TracingPrivateKey>,
  checkins: Iterable<CheckinMessage>,
): Opened {
  const found = new Map<string, RevealedIdentity>();
  let unopened = 0;
  let otherKey = 0;
  for (const c of checkins) {
    const sealed = c.document.sealed;
    if (!sealed) {
      unopened++;
      continue;
    }
    try {
      const id = openIdentity(keys, c.id, sealed);
      const r: RevealedIdentity = { kind: id.kind, number: id.number, name: id.name };
      if (id.dob) r.dob = id.dob;
      if (id.phone) r.phone = id.phone;
      found.set(`${r.kind}\u0000${r.number}`, r);
    } catch (err) {
      if (!(err instanceof SealedIdentityError)) throw err;
      unopened++;
      if (err.code === 'other-key') otherKey++;
    }
  }
  return { identities: [...found.values()], unopened, otherKey };
}

/** Sealed boxes were there but none opened, all for another key: the key given is not this deployment's. */
export const wrongKey = () =>
  new RevealError('wrong-key', {
    vi: 'Khóa truy vết không khớp: không mở được danh tính nào (khóa của triển khai khác hoặc đã thay)',
    en: 'Wrong tracing key: no identity could be opened (another deployment’s key, or a rotated one)',
  });
