import { isId, mqttOptions, siteOccupancyTopic, TOPIC_ROOT } from '@qrkiosk/protocol';
import { connectAsync } from 'mqtt';
import type { BrokerLogin } from './publish.js';
import type { KioskBinding } from './storage/index.js';

/**
 * The kiosk register applied to Mosquitto's dynamic-security plugin (Mosquitto ≥ 2.0), through its
 * topic API with the broker's admin login — the same binding as the generated ACL file, but changed
 * while the broker runs (no reload), and the base the enrolment issue builds on. One role per kiosk,
 * `qrkiosk-kiosk-<kiosk>`, allowing only its own site's topics.
 */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const kioskRole = (kiosk: string) => `qrkiosk-kiosk-${kiosk}`;
/**
 * The one MQTT client id a kiosk's login may connect with: the daemon's own (gateway/src/uplink/login.ts
 * kioskClientId). Pinned in the plugin, so a kiosk's password cannot connect as the hub (`qrkiosk-hub`,
 * ingest lane 0) or as another kiosk with clean start — which would end that session and its queue.
 */
export const kioskClientId = (site: string, kiosk: string) => `qrkiosk-${site}-${kiosk}`;

type Acl = { acltype: string; topic: string; allow: boolean; priority: number };
export type DynsecCommand = Record<string, unknown> & { command: string };

/** The commands that (re)make one kiosk's role (its site's topics only), without touching its client. */
export function kioskRoleOnly(b: KioskBinding): DynsecCommand[] {
  if (!isId(b.kiosk) || !isId(b.site) || b.kiosk === 'hub') throw new Error(`not a kiosk id: ${b.kiosk}`);
  const base = `${TOPIC_ROOT}/${b.site}/${b.kiosk}`;
  const allow = (acltype: string, topic: string): Acl => ({ acltype, topic, allow: true, priority: 0 });
  const acls = [
    ...['checkin', 'state', 'telemetry', 'response/#', 'pass-request'].map((t) =>
      allow('publishClientSend', `${base}/${t}`),
    ),
    ...[
      `${base}/request/#`,
      `${base}/updates/#`,
      `${base}/receipt`,
      `${base}/pass`,
      siteOccupancyTopic(b.site),
      `${TOPIC_ROOT}/fleet/#`,
    ].map((t) => allow('subscribePattern', t)),
  ];
  const rolename = kioskRole(b.kiosk);
  return [
    // Re-made whole, so a kiosk moved to another site keeps no topic of the old one.
    { command: 'deleteRole', rolename },
    { command: 'createRole', rolename, textname: `qrkiosk kiosk ${b.kiosk} at ${b.site}`, acls },
  ];
}

/** The commands that (re)make one kiosk's role and give it to the kiosk's client, its client id pinned. */
export function kioskRoleCommands(b: KioskBinding): DynsecCommand[] {
  const clientid = kioskClientId(b.site, b.kiosk);
  return [
    ...kioskRoleOnly(b),
    // The client may exist (its password set by the operator); created without a password otherwise.
    { command: 'createClient', username: b.kiosk, clientid },
    // An existing client (or one moved to another site) gets the daemon's id of the binding's site.
    { command: 'setClientId', username: b.kiosk, clientid },
    { command: 'addClientRole', username: b.kiosk, rolename: kioskRole(b.kiosk), priority: 0 },
  ];
}

/**
 * The hub's role, `qrkiosk-hub`, given to the client `username`: read every qrkiosk topic
 * (shared subscriptions included), write requests, receipts, issued passes, per-kiosk updates and fleet
 * updates.
 */
export function hubRoleCommands(username: string): DynsecCommand[] {
  const acl = (acltype: string, topic: string) => ({ acltype, topic, allow: true, priority: 0 });
  return [
    { command: 'deleteRole', rolename: 'qrkiosk-hub' },
    {
      command: 'createRole',
      rolename: 'qrkiosk-hub',
      acls: [
        acl('subscribePattern', `${TOPIC_ROOT}/#`),
        // Mosquitto 2.0 checks a shared subscription's filter with its `$share/<group>/` prefix.
        acl('subscribePattern', `$share/+/${TOPIC_ROOT}/#`),
        acl('publishClientSend', `${TOPIC_ROOT}/+/+/request/#`),
        acl('publishClientSend', `${TOPIC_ROOT}/+/+/updates/#`),
        acl('publishClientSend', `${TOPIC_ROOT}/+/+/receipt`),
        acl('publishClientSend', `${TOPIC_ROOT}/+/+/pass`),
        acl('publishClientSend', `${TOPIC_ROOT}/+/occupancy`),
        acl('publishClientSend', `${TOPIC_ROOT}/fleet/#`),
      ],
    },
    { command: 'createClient', username },
    { command: 'addClientRole', username, rolename: 'qrkiosk-hub', priority: 0 },
  ];
}

/** Errors that only say the state is already as wanted. */
const HARMLESS = /role not found|client already exists/i;

/**
 * Sends the hub's (when `hubUser` is given) and each kiosk's commands and waits for the plugin's answer. Returns the errors that matter
 * (anything but a missing role to delete or an existing client), per kiosk.
 */
export async function applyDynsec(
  login: BrokerLogin,
  bindings: readonly KioskBinding[],
  options: { hubUser?: string; timeoutMs?: number } = {},
): Promise<{ applied: number; errors: string[] }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = await connectAsync(
    login.url,
    mqttOptions({ ...login, protocolVersion: 5 }, { reconnectPeriod: 0 }),
  );
  const errors: string[] = [];
  let applied = 0;
  try {
    let answer: ((r: Array<{ command?: string; error?: string }>) => void) | undefined;
    client.on('message', (_t, p) => {
      try {
        answer?.((JSON.parse(p.toString('utf8')) as { responses?: [] }).responses ?? []);
      } catch {
        // not an answer
      }
    });
    await client.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
    const batches: Array<{ name: string; commands: DynsecCommand[] }> = [
      ...(options.hubUser ? [{ name: options.hubUser, commands: hubRoleCommands(options.hubUser) }] : []),
      ...bindings.map((b) => ({ name: b.kiosk, commands: kioskRoleCommands(b) })),
    ];
    for (const batch of batches) {
      const responses = new Promise<Array<{ command?: string; error?: string }>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no answer from the dynamic-security plugin')),
          timeoutMs,
        );
        answer = (r) => {
          clearTimeout(timer);
          resolve(r);
        };
      });
      await client.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands: batch.commands }), { qos: 1 });
      const bad = (await responses).filter((r) => r.error && !HARMLESS.test(r.error));
      for (const r of bad) errors.push(`${batch.name}: ${r.command}: ${r.error}`);
      if (bad.length === 0) applied++;
    }
  } finally {
    await client.endAsync();
  }
  return { applied, errors };
}
