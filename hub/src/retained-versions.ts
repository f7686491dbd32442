import { fleetTopic, mqttOptions, peekPassListHeader, peekRevocationHeader } from '@qrkiosk/protocol';
import { connectAsync } from 'mqtt';
import type { BrokerLogin } from './publish.js';
import type { ListKind } from './published-versions.js';

/**
 * What the hub's own broker retains of the signed lists, for their versions alone (review 3, finding 1). A hub
 * from before issue #19 recorded only revocation.version: its rules and trust list are on the broker, and kiosks
 * hold them, but the freshness statement would say null for them and an upgraded fleet would stay stale (REVIEW
 * for everyone) until someone published again. The statement reads the version back from what is retained and
 * records it (use-cases/freshness.ts). Parsed, not verified: it is the hub's own broker, and a kiosk confirms
 * only a version it installed after verifying it.
 */
export type RetainedReader = (
  kinds: readonly RetainedKind[],
) => Promise<Partial<Record<RetainedKind, Buffer>>>;
/** The signed lists, and the pass list (issue #20: its version lives in the hub database, not a state file). */
export type RetainedKind = ListKind | 'passes';

/** The retained payloads of `kinds` on the hub's broker (an empty retained message is none). */
export function brokerRetained(login: BrokerLogin): RetainedReader {
  return async (kinds) => {
    const topics = new Map(kinds.map((k) => [fleetTopic(k), k] as const));
    const got: Partial<Record<RetainedKind, Buffer>> = {};
    // No retries: a broker that is down fails this statement now (the daemon tries again in a minute).
    const client = await connectAsync(
      login.url,
      { ...mqttOptions({ ...login, protocolVersion: 5 }), connectTimeout: 10_000 },
      false,
    );
    try {
      client.on('message', (topic, payload) => {
        const kind = topics.get(topic);
        if (kind && payload.length > 0) got[kind] = payload;
      });
      await client.subscribeAsync([...topics.keys()], { qos: 0 });
      // Mosquitto queues a subscription's retained messages right after its SUBACK and answers one
      // connection's packets in order: by the time the UNSUBACK is back, every retained message has come.
      await client.unsubscribeAsync([...topics.keys()]);
    } finally {
      await client.endAsync();
    }
    return got;
  };
}

/** The version a retained list names, parsed only; null: not a list of that kind. */
export function retainedVersion(kind: RetainedKind, payload: Buffer): string | number | null {
  if (kind === 'revocation') return peekRevocationHeader(payload)?.version ?? null;
  if (kind === 'passes') return peekPassListHeader(payload)?.version ?? null;
  try {
    const envelope = JSON.parse(payload.toString('utf8')) as { rules?: unknown; list?: unknown };
    const inner = kind === 'rules' ? envelope.rules : envelope.list;
    if (typeof inner !== 'string') return null;
    const version = (JSON.parse(inner) as { version?: unknown }).version;
    if (kind === 'rules')
      return typeof version === 'string' &&
        version.length >= 1 &&
        version.length <= 64 &&
        !version.includes('\n')
        ? version
        : null;
    return Number.isSafeInteger(version) && (version as number) >= 1 ? (version as number) : null;
  } catch {
    return null;
  }
}
