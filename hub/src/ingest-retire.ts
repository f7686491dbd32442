import { HUB_FILTERS, mqttOptions } from '@qrkiosk/protocol';
import { connect, connectAsync } from 'mqtt';
import type { Logger } from 'pino';

/** Lane ids a hub process may use: `<id>`, `<id>-1` … `<id>-63` (the CLI caps --lanes at 64). */
export const MAX_LANES = 64;
/** How long a retired lane waits for its queued messages to stop coming before it leaves. */
const QUIET_MS = 1000;
/** How long the broker keeps a lane's session (and queues for it) while the hub is away: 30 days. */
export const SESSION_EXPIRY_S = 30 * 86_400;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The client id of lane n: `<base>` for lane 0, `<base>-<n>` after. */
export const laneId = (base: string, lane: number) => (lane === 0 ? base : `${base}-${lane}`);

/** What retiring needs of the ingest: its broker login, its store-then-acknowledge path, its log. */
export interface LaneStore {
  options: { url: string; username?: string; password?: string; protocolVersion: 4 | 5; shareGroup?: string };
  /** Stores a message like a live one (retrying), then calls back so mqtt.js sends the PUBACK. */
  store: (topic: string, payload: Buffer, callback: (err?: Error) => void) => void;
  log: Logger;
  /** True once the hub is stopping: a lane still draining then keeps its session. */
  stopped: () => boolean;
}

/**
 * Drains and closes the sessions of lanes `<base>-<from>` … up to MAX_LANES: each is resumed,
 * its queued check-ins are stored (and acknowledged) like any other, its subscription removed, and
 * the session ended. Lanes of an earlier run with more lanes, or a hub process taken out of service.
 */
export async function retireLanes(
  lane: LaneStore,
  base: string,
  from: number,
): Promise<{ sessions: number; drained: number }> {
  const ids = Array.from({ length: MAX_LANES - from }, (_, i) => laneId(base, from + i));
  const results = await Promise.all(ids.map((id) => retireLane(lane, id)));
  return {
    sessions: results.filter((n) => n !== null).length,
    drained: results.reduce<number>((sum, n) => sum + (n ?? 0), 0),
  };
}

/** Number of messages drained, or null when the broker had no session for this id. */
async function retireLane(lane: LaneStore, clientId: string): Promise<number | null> {
  const o = lane.options;
  const v5 = o.protocolVersion === 5;
  const client = connect(
    o.url,
    mqttOptions(
      { ...o, clientId },
      { clean: false, sessionExpirySeconds: SESSION_EXPIRY_S, reconnectPeriod: 0 },
    ),
  );
  let drained = 0;
  let storing = 0;
  let last = Date.now();
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    last = Date.now();
    drained++;
    storing++;
    lane.store(packet.topic, Buffer.from(packet.payload as Buffer), (err) => {
      storing--;
      last = Date.now();
      callback(err);
    });
  };
  client.on('error', (err) => lane.log.error({ err, clientId }, 'retiring a lane: MQTT error'));
  const present = await new Promise<boolean>((resolve, reject) => {
    client.once('connect', (connack) => resolve(connack.sessionPresent));
    client.once('error', reject);
  });
  if (present) {
    // Unsubscribe at once, so the broker routes nothing new here (under load the lane would never
    // fall quiet otherwise); what it had queued for this session still comes (Mosquitto delivers a
    // session's queue after an unsubscribe — checked with 2.0). Leave once it has been quiet a while.
    last = Date.now();
    await client.unsubscribeAsync([
      HUB_FILTERS.checkin,
      `$share/${o.shareGroup ?? 'hub'}/${HUB_FILTERS.checkin}`,
      HUB_FILTERS.state,
      HUB_FILTERS.telemetry,
    ]);
    // A message still being stored (database down) keeps the session: ending it now would drop
    // that message with it.
    while (storing > 0 || Date.now() - last < QUIET_MS) {
      if (lane.stopped()) {
        await client.endAsync(); // the session stays, with what it still holds
        return drained;
      }
      await sleep(100);
    }
  }
  // MQTT 5: the session ends with this connection. MQTT 3.1.1: a clean connection removes it.
  await client.endAsync(false, v5 ? { properties: { sessionExpiryInterval: 0 } } : {});
  if (!v5) {
    const cleaner = await connectAsync(
      o.url,
      mqttOptions({ ...o, clientId, protocolVersion: 4 }, { clean: true, reconnectPeriod: 0 }),
    );
    await cleaner.endAsync();
  }
  return present ? drained : null;
}
