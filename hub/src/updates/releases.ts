import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SOFTWARE_VERSION_PATTERN } from '@qrkiosk/protocol';
import type { ReleaseRow } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { type Text, UpdatesError } from './errors.js';

/**
 * scripts/release.mjs names every bundle so; the name is also what GET /releases/<file> serves. The version part
 * is protocol's SOFTWARE_VERSION_PATTERN (≤ 32 characters: what telemetry can report back, issue #17 review #11).
 */
export const BUNDLE_NAME = new RegExp(
  `^qrkiosk-(${SOFTWARE_VERSION_PATTERN.source.slice(1, -1)})-linux-(x64|arm64)\\.tar\\.gz$`,
);

export const releasesDir = (dataDir: string) => join(dataDir, 'releases');

/** The release public keys (EC P-256 PEM, scripts/release's release-public.pem). */
export function readReleaseKeys(files: readonly string[]): KeyObject[] {
  return files.map((f) => {
    const key = createPublicKey(readFileSync(f));
    if (key.asymmetricKeyType !== 'ec')
      throw new UpdatesError('release-key', {
        vi: `${f}: khóa ${key.asymmetricKeyType}; cần khóa EC P-256`,
        en: `${f}: ${key.asymmetricKeyType} key; want EC P-256`,
      });
    return key;
  });
}

/**
 * `qrkiosk-hub release add`: takes a bundle only when its detached signature (ECDSA P-256 over SHA-256, what
 * `openssl dgst -sha256 -verify` checks) is by a configured release key, and its manifest says the version and CPU
 * its name says; then copies it and its .sig into `<dataDir>/releases/` (under a temporary name, renamed) and
 * records version, arch, sha256. Kiosks check the signature again: the hub is a mirror, not the root of trust.
 */
export async function addRelease(
  store: HubStore,
  o: { bundle: string; signature?: string; keys: readonly KeyObject[]; dataDir: string; actor: string },
): Promise<ReleaseRow> {
  const file = basename(o.bundle);
  const name = BUNDLE_NAME.exec(file);
  if (!name)
    throw new UpdatesError('bundle-name', {
      vi: `${file}: tên không đúng dạng qrkiosk-<phiên bản>-linux-<x64|arm64>.tar.gz`,
      en: `${file}: not named qrkiosk-<version>-linux-<x64|arm64>.tar.gz`,
    });
  const [, version, arch] = name as unknown as [string, string, string];
  if (o.keys.length === 0)
    throw new UpdatesError('release-key', {
      vi: 'chưa cấu hình khóa phát hành (releases.publicKeyFiles)',
      en: 'no release key configured (releases.publicKeyFiles)',
    });
  const sigFile = o.signature ?? `${o.bundle}.sig`;
  const bytes = readFileSync(o.bundle);
  const signature = readFileSync(sigFile);
  const signed = o.keys.some((k) => {
    try {
      return verify('sha256', bytes, k, signature);
    } catch {
      return false;
    }
  });
  if (!signed)
    throw new UpdatesError('signature', {
      vi: `${file}: chữ ký không hợp lệ với khóa phát hành đã cấu hình`,
      en: `${file}: signature not valid for any configured release key`,
    });
  // Every later step works on these bytes, not the path again: what was verified is what gets served.
  const manifest = manifestOf(bytes, file.replace(/\.tar\.gz$/, ''));
  if (manifest.version !== version || manifest.arch !== arch)
    throw new UpdatesError('manifest', {
      vi: `${file}: manifest ghi ${manifest.version}/${manifest.arch}, khác tên tệp`,
      en: `${file}: manifest says ${manifest.version}/${manifest.arch}, not what the name says`,
    });
  const dir = releasesDir(o.dataDir);
  mkdirSync(dir, { recursive: true });
  const row: ReleaseRow = {
    file,
    version,
    arch,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    addedAt: new Date().toISOString(),
    addedBy: o.actor,
  };
  const existing = (await store.repo.releases.list()).find((r) => r.file === file);
  if (existing && existing.sha256 !== row.sha256)
    throw new UpdatesError('exists', {
      vi: `${file} đã có với nội dung khác; một phiên bản không được thay đổi`,
      en: `${file} already added with other bytes; a released version never changes`,
    });
  // The signature first: a bundle is served only when its .sig is there too.
  place(signature, join(dir, `${file}.sig`));
  place(bytes, join(dir, file));
  if (!existing) await store.repo.releases.add(row);
  await store.audit(o.actor, 'release-add', { file, version, arch, sha256: row.sha256 });
  return existing ?? row;
}

function place(bytes: Buffer, to: string): void {
  if (existsSync(to) && readFileSync(to).equals(bytes)) return;
  const tmp = `${to}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, to);
}

/** manifest.json from inside the tarball (its bytes, on tar's stdin), without unpacking the rest. */
function manifestOf(tarball: Buffer, top: string): { version?: string; arch?: string } {
  const r = spawnSync('tar', ['-xzOf', '-', `${top}/manifest.json`], {
    input: tarball,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  try {
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { version?: string; arch?: string };
  } catch {
    throw new UpdatesError('manifest', {
      vi: `không đọc được ${top}/manifest.json trong gói`,
      en: `no readable ${top}/manifest.json in the bundle`,
    });
  }
}

export type { Text };
