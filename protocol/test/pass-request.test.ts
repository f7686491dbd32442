import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  keyId,
  kioskTopics,
  newPassId,
  PASS_ISSUED_SCHEMA_ID,
  PASS_REQUEST_SCHEMA_ID,
  parsePassIssued,
  parsePassRequest,
  signPass,
} from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const CHECKIN = '01JD0000000000000000000000';

describe('pass request / pass issued messages (issue #20)', () => {
  it('has the two kiosk topics next to the others', () => {
    const t = kioskTopics('s-1', 'k-1');
    expect(t.passRequest).toBe('qrkiosk/v1/s-1/k-1/pass-request');
    expect(t.pass).toBe('qrkiosk/v1/s-1/k-1/pass');
  });

  it('takes a well-formed request and refuses anything else', () => {
    const good = { schema: PASS_REQUEST_SCHEMA_ID, requestId: randomUUID(), checkinId: CHECKIN };
    expect(parsePassRequest(bytes(good))).toEqual({ ok: true, value: good });
    for (const bad of [
      { ...good, checkinId: 'not-a-ulid' },
      { ...good, requestId: 'x' },
      // The holder never travels in the request: the hub takes it from its stored check-in.
      { ...good, idHash: '00'.repeat(16) },
      { ...good, schema: 'qrkiosk.pass-request/2' },
    ])
      expect(parsePassRequest(bytes(bad)).ok).toBe(false);
    expect(parsePassRequest(Buffer.from('{')).ok).toBe(false);
    expect(parsePassRequest(Buffer.alloc(100_000, 0x20)).ok).toBe(false);
  });

  it('takes a signed token and a refusal as answers', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const token = signPass(
      {
        passId: newPassId(),
        scope: { kind: 'site', id: 's-1' },
        validFrom: '2026-11-27',
        validUntil: '2027-11-26',
      },
      privateKey,
      keyId(publicKey),
    );
    const requestId = randomUUID();
    const ok = {
      schema: PASS_ISSUED_SCHEMA_ID,
      requestId,
      ok: true,
      passId: newPassId(),
      token,
      validUntil: '2027-11-26',
      issuer: 'Chợ Hà Đông',
      nameMasked: 'N*** V** A*',
    };
    expect(parsePassIssued(bytes(ok)).ok).toBe(true);
    expect(parsePassIssued(bytes({ ...ok, token: `${token}<` })).ok).toBe(false);
    const refused = {
      schema: PASS_ISSUED_SCHEMA_ID,
      requestId,
      ok: false,
      code: 'checkin-not-received',
      text: { vi: 'Trung tâm chưa nhận lượt check-in', en: 'The hub has not received the check-in' },
    };
    expect(parsePassIssued(bytes(refused)).ok).toBe(true);
    // A refusal carries no token; an answer mixing the two is neither.
    expect(parsePassIssued(bytes({ ...refused, token })).ok).toBe(false);
    expect(parsePassIssued(bytes({ ...refused, text: { vi: 'x' } })).ok).toBe(false);
  });
});
