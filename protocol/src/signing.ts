import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * Ed25519 signatures for everything the hub sends the fleet (cache updates, rules, trust lists).
 * A key is named by its id: the first 8 bytes of SHA-256 over the raw 32-byte public key, hex.
 * Kiosks hold a list of trusted public keys, so the hub can rotate: add the new key to the
 * kiosks, start signing with it, then retire the old one.
 */
export function keyId(publicKey: KeyObject): string {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return createHash('sha256').update(raw).digest().subarray(0, 8).toString('hex');
}

export function loadPublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`not an Ed25519 public key (${key.asymmetricKeyType})`);
  return key;
}

export function loadPrivateKey(pem: string | Buffer): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`not an Ed25519 private key (${key.asymmetricKeyType})`);
  return key;
}

export const signBytes = (privateKey: KeyObject, data: Uint8Array): Buffer => sign(null, data, privateKey);

export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && verify(null, data, publicKey, signature);
  } catch {
    return false;
  }
}

/** Trusted hub keys by id. */
export class KeyRing {
  private readonly keys = new Map<string, KeyObject>();
  add(publicKey: KeyObject): string {
    const id = keyId(publicKey);
    this.keys.set(id, publicKey);
    return id;
  }
  get(id: string): KeyObject | undefined {
    return this.keys.get(id);
  }
  get size(): number {
    return this.keys.size;
  }

  /** The public keys as PEM (to hand to a worker thread). */
  pems(): string[] {
    return [...this.keys.values()].map((k) => k.export({ type: 'spki', format: 'pem' }).toString());
  }
}
