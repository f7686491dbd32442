import type { KeyObject } from 'node:crypto';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';

/**
 * `qrkiosk/v1/fleet/software` (issue #17): the hub's signed announcement of a software release for a set of kiosks,
 * retained, republished as a rollout widens stage by stage (hub/src/updates/). The kiosk checks the hub's signature
 * here, then the bundle's own release signature and sha256 before installing (gateway/src/software/).
 * Envelope: `{"software": "<announcement JSON text>", "signature": {"keyId", "signature"}}`, signed over
 * "qrkiosk-software/1\n" + text (a context prefix, so no other signed hub text can pass for one).
 */
export interface SoftwareAnnouncement {
  rollout: string;
  version: string;
  /**
   * The bundle per CPU (`x64`, `arm64`): absolute URL (the hub's GET /releases/<file>; its signature at url +
   * '.sig') and sha256. A kiosk whose CPU has none is left out of this release.
   */
  bundles: Record<string, { url: string; sha256: string }>;
  /** Who installs: every kiosk, or these kiosk ids and sites (districts are expanded to sites by the hub). */
  targets: { all: boolean; kiosks: string[]; sites: string[] };
  createdAt: string;
}

/**
 * A release version as every part of the update path accepts it: 1–32 characters (telemetry's `software` and
 * `update.version` are capped at 32, so a longer name could never be reported healthy), and safe as a folder name
 * (qrkiosk-<version>). One definition for the bundle name on the hub, the announcement and the kiosk's installer.
 */
export const SOFTWARE_VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/;

/**
 * Orders two release versions the way package.json versions order (semver: numeric dotted core, a `-pre` part
 * sorts before the release, `+build` ignored): < 0 when `a` is older. null when either has no numeric core — such
 * versions cannot be ordered, and the installer treats that as "not known newer".
 */
export function compareSoftwareVersions(a: string, b: string): number | null {
  const parse = (v: string) => {
    const m = /^(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v);
    return m ? { core: (m[1] as string).split('.').map(Number), pre: m[2] ?? null } : null;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  for (let i = 0; i < Math.max(x.core.length, y.core.length); i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === null) return 1;
  if (y.pre === null) return -1;
  const xp = x.pre.split('.');
  const yp = y.pre.split('.');
  for (let i = 0; i < Math.max(xp.length, yp.length); i++) {
    const p = xp[i];
    const q = yp[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const CONTEXT = Buffer.from('qrkiosk-software/1\n', 'ascii');

export class SoftwareAnnouncementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoftwareAnnouncementError';
  }
}

export function signSoftwareAnnouncement(
  a: SoftwareAnnouncement,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
): string {
  const text = JSON.stringify(a);
  const signature = signBytes(signing.privateKey, Buffer.concat([CONTEXT, Buffer.from(text, 'utf8')]));
  return JSON.stringify({
    software: text,
    signature: { keyId: keyId(signing.publicKey), signature: signature.toString('base64') },
  });
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The announcement, when signed by a trusted hub key and well formed; throws SoftwareAnnouncementError. */
export function verifySoftwareAnnouncement(payload: Buffer | string, keys: KeyRing): SoftwareAnnouncement {
  let envelope: { software?: unknown; signature?: { keyId?: unknown; signature?: unknown } };
  try {
    envelope = JSON.parse(payload.toString());
  } catch {
    throw new SoftwareAnnouncementError('not JSON');
  }
  const { software, signature } = envelope ?? {};
  if (
    typeof software !== 'string' ||
    typeof signature?.keyId !== 'string' ||
    typeof signature.signature !== 'string'
  )
    throw new SoftwareAnnouncementError('not a signed software envelope');
  const key = keys.get(signature.keyId);
  if (!key) throw new SoftwareAnnouncementError(`unknown signing key ${signature.keyId}`);
  const data = Buffer.concat([CONTEXT, Buffer.from(software, 'utf8')]);
  if (!verifyBytes(key, data, Buffer.from(signature.signature, 'base64')))
    throw new SoftwareAnnouncementError('bad signature');
  const a = JSON.parse(software) as SoftwareAnnouncement;
  const t = a?.targets;
  if (
    typeof a?.rollout !== 'string' ||
    typeof a.version !== 'string' ||
    !SOFTWARE_VERSION_PATTERN.test(a.version) ||
    typeof a.bundles !== 'object' ||
    a.bundles === null ||
    !Object.values(a.bundles).every(
      (b) =>
        typeof b?.url === 'string' && /^https?:\/\//.test(b.url) && /^[0-9a-f]{64}$/.test(String(b.sha256)),
    ) ||
    typeof t?.all !== 'boolean' ||
    !strings(t.kiosks) ||
    !strings(t.sites)
  )
    throw new SoftwareAnnouncementError('malformed announcement');
  return a;
}

export const softwareTargets = (a: SoftwareAnnouncement, kiosk: { id: string; site: string }) =>
  a.targets.all || a.targets.kiosks.includes(kiosk.id) || a.targets.sites.includes(kiosk.site);
