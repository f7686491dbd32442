// The bundle's manifest, its tarball and the tarball's detached signature.
// Signature: ECDSA over SHA-256, DER-encoded — what `openssl dgst -sha256 -verify KEY.pub -signature F.sig F`
// checks (openssl's dgst does not verify Ed25519 in the OpenSSL 3.0 of Debian 12, so EC keys only).
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { listFiles } from './stage.mjs';

export const MANIFEST_FORMAT = 'qrkiosk-release/1';

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** Writes manifest.json at the bundle root: what it is, for which Node, and the sha256 of every other file. */
export function writeManifest(bundle, info) {
  const files = {};
  for (const rel of listFiles(bundle))
    if (rel !== 'manifest.json') files[rel] = sha256(readFileSync(join(bundle, rel)));
  const manifest = { format: MANIFEST_FORMAT, ...info, files };
  writeFileSync(join(bundle, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

/**
 * A gzip tarball of `bundle` holding its folder alone. Sorted names, root owner, one mtime and gzip without a
 * timestamp: the same tree gives the same bytes, so a rebuild can be compared with a published release.
 */
export function tarball(bundle, out, mtime) {
  const r = spawnSync(
    'tar',
    [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      `--mtime=@${mtime}`,
      '--use-compress-program=gzip -9n',
      '-cf',
      out,
      '-C',
      dirname(bundle),
      basename(bundle),
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`tar of ${bundle}: exit ${r.status ?? r.signal}`);
}

/**
 * The private key to sign with: the given PEM file, else a development key kept in `devDir` (made on first
 * use), with `dev: true` so the caller warns. Refuses what openssl's dgst could not verify.
 */
export function signingKey(file, devDir) {
  let path = file;
  let dev = false;
  if (!path) {
    dev = true;
    path = join(devDir, 'dev-signing-key.pem');
    if (!existsSync(path)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      chmodSync(path, 0o600);
    }
  }
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ec') {
    throw new Error(
      `${path}: ${key.asymmetricKeyType} key; want an EC key (P-256), which \`openssl dgst -sha256 -verify\` checks`,
    );
  }
  return { key, path, dev, publicPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }) };
}

/** Writes FILE.sig next to FILE; returns the file's sha256. */
export function signFile(file, key) {
  const bytes = readFileSync(file);
  writeFileSync(`${file}.sig`, sign('sha256', bytes, key));
  return sha256(bytes);
}
