import { createHash, createVerify, type KeyObject } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { SoftwareError } from './errors.js';

/** Larger than any bundle (~20 MB today, ~60 MB with both addon sets): a runaway download is cut off. */
const MAX_BUNDLE_BYTES = 512 << 20;

async function fetchOk(url: string, timeoutMs: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new SoftwareError('download', `${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new SoftwareError('download', `${url}: HTTP ${res.status}`);
  return res;
}

/** A small file (the detached signature) into memory. */
/** A signature file is a few hundred bytes: anything past this is not one (and never fills the daemon's memory). */
const SMALL_MAX_BYTES = 64 * 1024;

export async function downloadSmall(url: string, timeoutMs: number): Promise<Buffer> {
  const res = await fetchOk(url, timeoutMs);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) {
    size += part.value.length;
    if (size > SMALL_MAX_BYTES) {
      await reader?.cancel().catch(() => undefined);
      throw new Error(`${url}: more than ${SMALL_MAX_BYTES} bytes, not a signature`);
    }
    chunks.push(Buffer.from(part.value));
  }
  return Buffer.concat(chunks);
}

/**
 * Streams a bundle to `dest` while hashing and checking its release signature chunk by chunk (issue #17 review
 * #15): the daemon's event loop never holds the whole ~20 MB bundle nor hashes it in one synchronous call, so
 * scans, MQTT and the screen keep running during a download. Written to `<dest>.part`, renamed only when the
 * signature (by one of `keys`, ECDSA over SHA-256 as in verifyBundle) and the announced sha256 both hold.
 * Returns the sha256.
 */
export async function downloadVerified(o: {
  url: string;
  signature: Buffer;
  keys: readonly KeyObject[];
  sha256: string;
  dest: string;
  timeoutMs: number;
  /** Called between chunks; true stops the download (a newer announcement or a withdrawal came). */
  stale?: () => boolean;
}): Promise<string> {
  if (o.keys.length === 0)
    throw new SoftwareError('signature', 'no release key trusted (software.releaseKeyFiles)');
  const res = await fetchOk(o.url, o.timeoutMs);
  const hash = createHash('sha256');
  const verifiers = o.keys.map(() => createVerify('sha256'));
  const part = `${o.dest}.part`;
  const file = await open(part, 'w', 0o644);
  let size = 0;
  try {
    if (!res.body) throw new SoftwareError('download', `${o.url}: empty body`);
    // Node's web ReadableStream is async-iterable (Node ≥ 18); the DOM typings in some configs do not say so.
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (o.stale?.()) throw new SoftwareError('download', `${o.url}: superseded`);
      size += chunk.length;
      if (size > MAX_BUNDLE_BYTES)
        throw new SoftwareError('download', `${o.url}: larger than ${MAX_BUNDLE_BYTES} bytes`);
      hash.update(chunk);
      for (const v of verifiers) v.update(chunk);
      await file.write(chunk);
    }
  } catch (err) {
    await file.close();
    await rm(part, { force: true });
    if (err instanceof SoftwareError) throw err;
    throw new SoftwareError('download', `${o.url}: ${(err as Error).message}`);
  }
  await file.close();
  const signed = verifiers.some((v, i) => {
    try {
      return v.verify(o.keys[i] as KeyObject, o.signature);
    } catch {
      return false;
    }
  });
  const digest = hash.digest('hex');
  const problem = !signed
    ? new SoftwareError('signature', 'bundle signature not valid for any trusted release key')
    : digest !== o.sha256.toLowerCase()
      ? new SoftwareError('sha256', `bundle sha256 ${digest} ≠ announced ${o.sha256}`)
      : null;
  if (problem) {
    await rm(part, { force: true });
    throw problem;
  }
  await rename(part, o.dest);
  return digest;
}
