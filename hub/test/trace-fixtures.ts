import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type CheckinMessage,
  generateTracingKeys,
  hashIdentity,
  hashPersonKey,
  type IdentityClear,
  type IdType,
  readTracingPrivateKey,
  readTracingPublicKey,
  sealIdentity,
} from '@qrkiosk/protocol';
import { makeTempDir, sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import type { HubStore } from '../src/index.js';

/**
 * A traced day (30/10/2021, Vietnam time) with its answers worked out by hand, for the engine and
 * HTTP tests of the trace. The F0 scans a CCCD at s-001 and a BHYT card at s-002 (linked through a
 * person key in the facts import); A is met at both, once through a manual entry by phone linked to
 * A's CCCD; D leaves early (an 'out' check-in); E meets the F0 just before the F0 leaves, and later
 * meets G (an F2) — I, met by E before E met the F0, is no F2.
 */
export const F0 = { cccd: '079090001234', bhyt: 'DN4797912341234' };
export const A = { cccd: '001088000001', phone: '0912345678', name: 'NGUYỄN VĂN AN', dob: '15/08/1990' };

/** Every check-in's sealed identity is opened with these; `other` is another deployment's. */
export function tracingKeys() {
  const dir = makeTempDir('tracing-');
  const mine = generateTracingKeys(dir);
  const other = generateTracingKeys(makeTempDir('tracing-other-'));
  return {
    pub: readTracingPublicKey(readFileSync(mine.publicFile)),
    privatePem: readFileSync(mine.privateFile, 'utf8'),
    privateFile: mine.privateFile,
    otherPem: readFileSync(other.privateFile, 'utf8'),
    otherFile: other.privateFile,
    open: () => [readTracingPrivateKey(readFileSync(mine.privateFile))],
  };
}

interface Scan {
  site: string;
  at: string;
  type: IdType;
  number: string;
  name: string;
  direction?: 'in' | 'out';
  /** No sealed identity: a kiosk without a tracing key. */
  unsealed?: boolean;
  phone?: string;
}

export async function seedTrace(store: HubStore, keys = tracingKeys(), hashKey = randomBytes(32)) {
  const hash = (type: IdType, n: string) => hashIdentity(hashKey, type, n).toString('hex');
  const checkin = (s: Scan): CheckinMessage => {
    const id = ulid(Date.parse(s.at));
    const kind = s.type === 'phone' ? 'manual' : s.type === 'bhyt' ? 'bhyt' : 'cccd';
    const clear: IdentityClear = { v: 1, kind, number: s.number, name: s.name };
    if (s.phone) clear.phone = s.phone;
    const c = sampleCheckin({
      id,
      site: s.site,
      kiosk: `k-${s.site.slice(2)}`,
      at: s.at,
      direction: s.direction ?? 'in',
      document: {
        kind,
        numberMasked: `********${s.number.slice(-4)}`,
        nameMasked: `${s.name.slice(0, 3)}***`,
        idHash: hash(s.type, s.number),
      },
    });
    if (!s.unsealed) c.document.sealed = sealIdentity(keys.pub, id, clear);
    return c;
  };
  const scans: Scan[] = [
    // s-001, F0 09:00–09:30 (Vietnam time).
    { site: 's-001', at: '2021-10-30T02:00:00.000Z', type: 'cccd', number: F0.cccd, name: 'TRẦN THỊ BÌNH' },
    { site: 's-001', at: '2021-10-30T02:20:00.000Z', type: 'cccd', number: A.cccd, name: A.name }, // 10 min
    { site: 's-001', at: '2021-10-30T02:25:00.000Z', type: 'cccd', number: A.cccd, name: A.name }, // same stay
    { site: 's-001', at: '2021-10-30T01:25:00.000Z', type: 'cccd', number: '001088000002', name: 'B' }, // −35: none
    { site: 's-001', at: '2021-10-30T01:45:00.000Z', type: 'cccd', number: '001088000004', name: 'DƯƠNG D' },
    {
      site: 's-001',
      at: '2021-10-30T02:05:00.000Z',
      type: 'cccd',
      number: '001088000004',
      name: 'DƯƠNG D',
      direction: 'out',
    }, // D: 01:45–02:05 → 5 min
    // s-002, F0 15:00 with the BHYT card, out at 15:12.
    { site: 's-002', at: '2021-10-30T08:00:00.000Z', type: 'bhyt', number: F0.bhyt, name: 'TRẦN THỊ BÌNH' },
    {
      site: 's-002',
      at: '2021-10-30T08:12:00.000Z',
      type: 'bhyt',
      number: F0.bhyt,
      name: 'TRẦN THỊ BÌNH',
      direction: 'out',
    },
    // A by phone (manual entry, 07:45–08:15 → 12 min); E 08:10 → 2 min, unsealed (an old kiosk).
    {
      site: 's-002',
      at: '2021-10-30T07:45:00.000Z',
      type: 'phone',
      number: A.phone,
      name: A.name,
      phone: A.phone,
    },
    {
      site: 's-002',
      at: '2021-10-30T08:10:00.000Z',
      type: 'cccd',
      number: '001088000005',
      name: 'ĐỖ E',
      unsealed: true,
    },
    // E elsewhere: I before E met the F0 (no F2), G after (F2, 25 min), A after (an F1, not F2).
    { site: 's-003', at: '2021-10-30T06:00:00.000Z', type: 'cccd', number: '001088000005', name: 'ĐỖ E' },
    { site: 's-003', at: '2021-10-30T06:05:00.000Z', type: 'cccd', number: '001088000009', name: 'I' },
    { site: 's-003', at: '2021-10-30T10:00:00.000Z', type: 'cccd', number: '001088000005', name: 'ĐỖ E' },
    { site: 's-003', at: '2021-10-30T10:05:00.000Z', type: 'cccd', number: '001088000007', name: 'GIANG G' },
    { site: 's-003', at: '2021-10-30T10:10:00.000Z', type: 'cccd', number: A.cccd, name: A.name },
  ];
  const now = new Date('2021-10-31T00:00:00Z');
  await store.addCheckins(scans.map((s) => ({ checkin: checkin(s), receivedAt: now })));
  await store.registerSites([
    { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743', address: 'Lê Lợi, Quận 1' },
    { site: 's-002', name: 'Bệnh viện Quận 1', district: '760', ward: '26740', address: '235 Nguyễn Văn Cừ' },
    { site: 's-003', name: 'Siêu thị Quận 3', district: '770', ward: '27139', address: '' },
  ]);
  // The facts import's person keys: the F0's CCCD and BHYT, A's CCCD and phone.
  const f0Person = hashPersonKey(hashKey, 'p-f0');
  const aPerson = hashPersonKey(hashKey, 'p-a');
  await store.repo.links.add(
    [
      [hash('cccd', F0.cccd), f0Person],
      [hash('bhyt', F0.bhyt), f0Person],
      [hash('cccd', A.cccd), aPerson],
      [hash('phone', A.phone), aPerson],
    ],
    'import',
    now,
  );
  return { hashKey, keys, hash, scans };
}
