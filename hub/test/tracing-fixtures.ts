import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateTracingKeys,
  hashIdentity,
  type IdentityClear,
  type IdType,
  readTracingPublicKey,
  sealIdentity,
  vnDay,
  vnDayStart,
} from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import { httpHub } from './http-server.js';

export const TRACER = '0900000007';
export const TRACER_PASSWORD = 'tracer-password';

/** The traced person (F0). */
export const F0 = { type: 'cccd' as IdType, number: '079090012345', name: 'Lê Văn Phúc', dob: '1990-08-15' };

interface Person {
  type: IdType;
  kind: 'cccd' | 'manual';
  number: string;
  name: string;
  dob?: string;
  phone?: string;
  /** false: a kiosk without the tracing key sent this check-in (nothing sealed, cannot be revealed). */
  sealed?: boolean;
}
/** Who met the F0 (B, C at the first site, D at the second) and whom B met afterwards (E, an F2). */
const OTHERS: Person[] = [
  { type: 'cccd', kind: 'cccd', number: '079185000111', name: 'Nguyễn Thị Hoa', dob: '1985-03-02' },
  { type: 'phone', kind: 'manual', number: '0912345678', name: 'Trần Văn Bình', phone: '0912345678' },
  { type: 'cccd', kind: 'cccd', number: '001092000333', name: 'Phạm Minh Đức', dob: '1992-11-30' },
  { type: 'cccd', kind: 'cccd', number: '079201000444', name: 'Võ Thị Lan', dob: '2001-06-21' },
];
/** G met the F0 at the market through a kiosk without the tracing key: listed, never revealed. */
export const UNSEALED: Person = {
  type: 'cccd',
  kind: 'cccd',
  number: '079188000555',
  name: 'Đỗ Văn Giang',
  sealed: false,
};
const SITES = [
  {
    site: 's-0001',
    name: 'Chợ Tân Định',
    address: '48 Hai Bà Trưng, P. Tân Định, Q. 1',
    district: '760',
    ward: '26734',
  },
  {
    site: 's-0002',
    name: 'Trường THCS Minh Đức',
    address: '75 Nguyễn Thái Học, P. Cầu Ông Lãnh, Q. 1',
    district: '760',
    ward: '26740',
  },
  {
    site: 's-0003',
    name: 'Siêu thị Co.op Cống Quỳnh',
    address: '189C Cống Quỳnh, P. Nguyễn Cư Trinh, Q. 1',
    district: '760',
    ward: '26743',
  },
];

export type TracingSeed = Awaited<ReturnType<typeof seedTracing>>;

/**
 * A hub (SQLite, real port) with three sites that have addresses, a tracer, a deployment tracing key
 * pair, and check-ins as a kiosk with that key sends them: keyed hash, masked fields and the identity
 * sealed to the public key. Three days ago (Vietnam): the F0 at the market with B (+5 min) and C
 * (+12 min, a manual entry with a phone) and G (+20 min, nothing sealed); the next day at the school with D (+20 min); that afternoon
 * B at the supermarket with E (+10 min): E is an F2 through B. `crowd` more people (for the
 * screenshots) come to the market and the school within the F0's stay.
 */
export async function seedTracing(crowd = 0) {
  const hashKey = randomBytes(32);
  const hub = await httpHub('sqlite', { hashKey });
  await hub.store.registerSites(SITES);
  await hub.store.users.add(TRACER, TRACER_PASSWORD, 'tracer', ['*']);
  const keys = generateTracingKeys(mkdtempSync(join(tmpdir(), 'qrkiosk-tracing-key-')));
  const pub = readTracingPublicKey(readFileSync(keys.publicFile));
  const day = vnDay(new Date(Date.now() - 3 * 86_400_000));
  const nine = vnDayStart(day).getTime() + 9 * 3600_000;
  const min = 60_000;
  const checkIn = async (p: Person, site: string, at: number) => {
    const c = sampleCheckin({
      site,
      kiosk: `k-${site.slice(2)}`,
      at: new Date(at).toISOString(),
      document: {
        kind: p.kind,
        numberMasked: `${'*'.repeat(p.number.length - 4)}${p.number.slice(-4)}`,
        nameMasked: p.name.replace(/(?<=\S)\S/g, '*'),
        idHash: hashIdentity(hashKey, p.type, p.number).toString('hex'),
      },
    });
    const clear: IdentityClear = {
      v: 1,
      kind: p.kind,
      number: p.number,
      name: p.name,
      ...(p.dob ? { dob: p.dob } : {}),
      ...(p.phone ? { phone: p.phone } : {}),
    };
    if (p.sealed !== false) c.document.sealed = sealIdentity(pub, c.id, clear);
    await hub.store.addCheckin(c, new Date());
  };
  const f0: Person = { ...F0, kind: 'cccd' };
  const [b, c, d, e] = OTHERS as [Person, Person, Person, Person];
  await checkIn(f0, 's-0001', nine);
  await checkIn(b, 's-0001', nine + 5 * min);
  await checkIn(c, 's-0001', nine + 12 * min);
  await checkIn(UNSEALED, 's-0001', nine + 20 * min);
  await checkIn(f0, 's-0002', nine + 24 * 60 * min);
  await checkIn(d, 's-0002', nine + 24 * 60 * min + 20 * min);
  await checkIn(b, 's-0003', nine + 30 * 60 * min);
  await checkIn(e, 's-0003', nine + 30 * 60 * min + 10 * min);
  const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Đặng', 'Bùi'];
  const GIVEN = [
    'Văn Hùng',
    'Thị Mai',
    'Minh Tuấn',
    'Thị Thu',
    'Quốc Bảo',
    'Ngọc Anh',
    'Văn Nam',
    'Thị Hằng',
  ];
  for (let i = 0; i < crowd; i++) {
    const n = String(i + 1).padStart(3, '0');
    const manual = i % 4 === 3;
    const p: Person = manual
      ? { type: 'phone', kind: 'manual', number: `0903000${n}`, name: '', phone: `0903000${n}` }
      : {
          type: 'cccd',
          kind: 'cccd',
          number: `079190000${n}`,
          name: '',
          dob: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 10}`,
        };
    p.name = `${FAMILY[i % FAMILY.length]} ${GIVEN[i % GIVEN.length]}`;
    const second = i % 3 === 2;
    await checkIn(
      p,
      second ? 's-0002' : 's-0001',
      nine + (second ? 24 * 60 : 0) * min + ((i * 7) % 28) * min,
    );
  }
  return { hub, keyFile: keys.privateFile, sites: SITES, others: OTHERS };
}
