import { isId } from './vocabulary.js';

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
  /** `…/pass-request`: reception asks the hub to issue a pass (protocol/src/pass-request.ts, issue #20). */
  passRequest: string;
  /** `…/pass`: the hub's answer to a pass request, for this kiosk only. */
  pass: string;
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
    passRequest: `${base}/pass-request`,
    pass: `${base}/pass`,
  };
}

/**
 * Signed updates for every kiosk, all retained (docs/protocol.md, "Fleet updates"):
 * `cache` the current full QRKC1 snapshot, `cache-delta` the latest QRKC1 delta (previous → current),
 * `rules` the signed rules file, `trust` the signed list of DCC signer certificates,
 * `revocation` the signed DCC revocation list (QRKR1, protocol/src/revocation.ts),
 * `software` the signed announcement of a release for a rollout stage (protocol/src/software.ts),
 * `fresh` the signed statement of what the office publishes now (protocol/src/freshness-statement.ts, issue #19),
 * `passes` the signed list of printed passes' holders and the sites' areas (QRKPL1, protocol/src/pass-list.ts, issue #20).
 */
export const FLEET_KINDS = [
  'cache',
  'cache-delta',
  'rules',
  'trust',
  'revocation',
  'software',
  'fresh',
  'passes',
] as const;
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

/**
 * `qrkiosk/v1/<site>/occupancy`: the hub's retained count of people inside the site today
 * (protocol/src/occupancy.ts). One level shorter than a kiosk topic, so no kiosk id can collide with it.
 */
export const siteOccupancyTopic = (site: string) => `${TOPIC_ROOT}/${site}/occupancy`;

/** Subscription filters for the hub (all sites, all kiosks). */
export const HUB_FILTERS = {
  checkin: `${TOPIC_ROOT}/+/+/checkin`,
  state: `${TOPIC_ROOT}/+/+/state`,
  telemetry: `${TOPIC_ROOT}/+/+/telemetry`,
  passRequest: `${TOPIC_ROOT}/+/+/pass-request`,
} as const;

export type KioskChannel = keyof KioskTopics;

export type UpstreamChannel = 'checkin' | 'state' | 'telemetry';

/** What `parseKioskTopic` made of a topic: the parts, or why it is not a kiosk topic the hub takes. */
export type KioskTopic =
  | { ok: true; site: string; kiosk: string; channel: UpstreamChannel }
  | { ok: false; reason: string };

/**
 * Splits `qrkiosk/v1/<site>/<kiosk>/<channel>` for the channels kiosks publish on. The site and
 * kiosk levels must have the id shape (ID_PATTERN): a level like `<img …>` or `district:760` would
 * otherwise reach reports and scopes as a site name.
 */
export function parseKioskTopic(topic: string): KioskTopic {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT)
    return { ok: false, reason: 'not a qrkiosk/v1/<site>/<kiosk>/<channel> topic' };
  const [, , site, kiosk, channel] = parts as [string, string, string, string, string];
  if (channel !== 'checkin' && channel !== 'state' && channel !== 'telemetry')
    return { ok: false, reason: `unknown channel "${channel.slice(0, 40)}"` };
  const shown = (level: string) => level.slice(0, 80);
  if (!isId(site)) return { ok: false, reason: `site "${shown(site)}" is not a valid id` };
  if (!isId(kiosk)) return { ok: false, reason: `kiosk "${shown(kiosk)}" is not a valid id` };
  return { ok: true, site, kiosk, channel };
}
