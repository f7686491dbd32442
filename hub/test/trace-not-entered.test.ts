/**
 * Issue #19 on the hub's trace: a check-in the kiosk's door sensor marked `not-entered` brought nobody
 * in. On the traced day of trace-fixtures.ts (answers worked out by hand there), the F0's visit to
 * s-002 is marked: it stays in the case's list as "không vào / did not enter" with no co-visitors, and
 * nobody met only there is a contact any more. Both engines.
 */
import { OUTCOME_SCHEMA_ID, type OutcomeMessage } from '@qrkiosk/protocol';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { checkTrace, runTrace, type TraceQuery, tracePrintPage } from '../src/index.js';
import { ENGINES, openStore } from './engines.js';
import { F0, seedTrace } from './trace-fixtures.js';

const query = (): TraceQuery => {
  const c = checkTrace({ type: 'bhyt', id: F0.bhyt, from: '2021-10-30', to: '2021-10-30', window: 30 });
  if (!c.ok) throw new Error(c.problem.en);
  return c.query;
};

describe.each(ENGINES)('a not-entered visit in a trace (%s)', (engine) => {
  it('is listed as did not enter, with no co-visitors, and makes nobody a contact', async () => {
    const { store } = await openStore(engine);
    const { hashKey } = await seedTrace(store);
    const by = { actor: '0900000004', format: 'json' as const };
    const before = await runTrace(store, hashKey, query(), by);
    const marked = before.visits.find((v) => v.site === 's-002')!;
    expect(marked.coVisitors).toBe(2);
    const contactsAt = (r: typeof before, site: string) =>
      r.people.flatMap((p) => p.contacts.filter((c) => c.site === site).map(() => p.ref));
    expect(contactsAt(before, 's-002').length).toBeGreaterThan(0);

    const outcome: OutcomeMessage = {
      schema: OUTCOME_SCHEMA_ID,
      id: ulid(Date.parse(marked.at) + 10_000),
      checkin: marked.checkin,
      outcome: 'not-entered',
      by: 'door-sensor',
      at: new Date(Date.parse(marked.at) + 10_000).toISOString(),
      clockSynced: true,
      kiosk: marked.kiosk,
      site: marked.site,
    };
    expect(await store.addOutcome(outcome, new Date())).toBe(true);

    const after = await runTrace(store, hashKey, query(), by);
    expect(after.visits.map((v) => [v.site, v.coVisitors, v.notEntered ?? false])).toEqual([
      ['s-001', before.visits.find((v) => v.site === 's-001')!.coVisitors, false],
      ['s-002', 0, true],
    ]);
    expect(contactsAt(after, 's-002')).toEqual([]);
    expect(tracePrintPage(after)).toContain('không vào <small>/ did not enter</small>');
    await store.close();
  });
});
