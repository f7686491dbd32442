/** Every MQTT topic qrkiosk uses is built here, so gateway, simulator and hub cannot drift apart. */
export const TOPIC_ROOT = 'qrkiosk/v1';

export interface KioskTopics {
  checkin: string;
  state: string;
  telemetry: string;
  /** `…/request/<command>`: the hub asks; subscribe with `requests`. */
  request: (command: string) => string;
  requests: string;
  /** `…/response/<command>`: the kiosk answers, echoing the transaction id. */
  response: (command: string) => string;
  /** `…/updates/<kind>`: signed updates for this kiosk only. */
  updates: string;
  /** `…/receipt`: the hub confirms check-ins it has stored (protocol/src/receipt.ts). */
  receipt: string;
}

export function kioskTopics(site: string, kiosk: string): KioskTopics {
  const base = `${TOPIC_ROOT}/${site}/${kiosk}`;
  return {
    checkin: `${base}/checkin`,
    state: `${base}/state`,
    telemetry: `${base}/telemetry`,
    request: (command) => `${base}/request/${command}`,
    requests: `${base}/request/+`,
    response: (command) => `${base}/response/${command}`,
    updates: `${base}/updates/+`,
    receipt: `${base}/receipt`,
  };
}

/**
 * Signed updates for every kiosk, all retained (docs/protocol.md, "Fleet updates"):
 * `cache` the current full QRKC1 snapshot, `cache-delta` the latest QRKC1 delta (previous → current),
 * `rules` the signed rules file, `trust` the signed list of DCC signer certificates.
 */
export const FLEET_KINDS = ['cache', 'cache-delta', 'rules', 'trust'] as const;
export type FleetKind = (typeof FLEET_KINDS)[number];
export const FLEET_UPDATES = `${TOPIC_ROOT}/fleet/+`;
export const fleetTopic = (kind: FleetKind) => `${TOPIC_ROOT}/fleet/${kind}`;

/** The kind of a `qrkiosk/v1/fleet/<kind>` topic; null for other topics and kinds this version does not know. */
export function parseFleetTopic(topic: string): FleetKind | null {
  const prefix = `${TOPIC_ROOT}/fleet/`;
  if (!topic.startsWith(prefix)) return null;
  const kind = topic.slice(prefix.length);
  return (FLEET_KINDS as readonly string[]).includes(kind) ? (kind as FleetKind) : null;
}

/** Subscription filters for the hub (all sites, all kiosks). */
export const HUB_FILTERS = {
  checkin: `${TOPIC_ROOT}/+/+/checkin`,
  state: `${TOPIC_ROOT}/+/+/state`,
  telemetry: `${TOPIC_ROOT}/+/+/telemetry`,
} as const;

export type KioskChannel = keyof KioskTopics;

/** Splits `qrkiosk/v1/<site>/<kiosk>/<channel>`; null for anything else. */
export function parseKioskTopic(
  topic: string,
): { site: string; kiosk: string; channel: KioskChannel } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , site, kiosk, channel] = parts as [string, string, string, string, string];
  if (channel !== 'checkin' && channel !== 'state' && channel !== 'telemetry') return null;
  return { site, kiosk, channel };
}
