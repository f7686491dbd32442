import { FLEET_KINDS, FLEET_UPDATES, type FleetKind, parseFleetTopic } from '@qrkiosk/protocol';
import type { MqttClient } from 'mqtt';
import { type CommandHooks, type HandledCommand, handleCommand } from '../commands/answer.js';
import type { RequestGate } from '../commands/gate.js';
import type { Logger } from '../log.js';

const isFleetKind = (kind: string): kind is FleetKind => (FLEET_KINDS as readonly string[]).includes(kind);

/**
 * Signed updates from the hub, on `fleet/<kind>` and on the kiosk's own `updates/<kind>`, handed to
 * `onUpdate` by kind (verified there: updates/). Known fleet kinds by name (protocol's parseFleetTopic);
 * any other kind is logged here, so an update this version does not know is seen, not silently dropped.
 */
export function listenForUpdates(
  client: MqttClient,
  ownUpdates: string,
  onUpdate: (kind: FleetKind, payload: Buffer) => void,
  log: Logger,
): void {
  const fleet = FLEET_UPDATES.slice(0, -1);
  const own = ownUpdates.slice(0, -1);
  client.on('message', (topic, payload) => {
    const named = topic.startsWith(fleet)
      ? topic.slice(fleet.length)
      : topic.startsWith(own)
        ? topic.slice(own.length)
        : null;
    // An empty retained payload is the hub clearing a topic, not an update.
    if (named === null || payload.length === 0) return;
    const kind = parseFleetTopic(topic) ?? (isFleetKind(named) ? named : null);
    if (kind) onUpdate(kind, payload);
    else log.warn({ kind: named.slice(0, 40) }, 'unknown update kind ignored');
  });
}

/** How long one command may take before it is answered as timed out (the doctor's checks take seconds). */
export const COMMAND_TIMEOUT_MS = 25_000;
/**
 * How long a revocation waits for the broker to take its answer before the daemon ends anyway: less than
 * the hub's 5 s wait (hub use-cases/kiosk-commands.ts), after which it deletes the login regardless.
 */
export const AFTER_WAIT_MS = 2_000;

export interface AnswerTiming {
  commandTimeoutMs?: number;
  afterWaitMs?: number;
}

/**
 * The hub's requests on `…/request/<command>`: through the gate (signed, fresh, for this kiosk, not
 * retained, not replayed: commands/gate.ts), answered on `…/response/<command>` (commands/answer.ts).
 */
export function answerRequests(
  client: MqttClient,
  topics: { request(command: string): string; response(command: string): string },
  gate: RequestGate,
  hooks: CommandHooks,
  log: Logger,
  timing: AnswerTiming = {},
): void {
  const prefix = topics.request('');
  const timeoutMs = timing.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
  const afterWaitMs = timing.afterWaitMs ?? AFTER_WAIT_MS;
  let answered: Promise<void> = Promise.resolve();
  client.on('message', (topic, payload, packet) => {
    if (!topic.startsWith(prefix)) return;
    const command = topic.slice(prefix.length);
    // mqtt.js sets packet.retain on a message the broker kept and sends on subscribe.
    const opened = gate.check(command, payload, packet.retain);
    if (!opened.ok) {
      log.warn(
        { command: command.slice(0, 40), tid: opened.tid, reason: opened.reason },
        'hub request refused',
      );
      // A retained one is not answered: it would be answered again on every reconnect.
      if (packet.retain) return;
    }
    const responseTopic = topics.response(command.replace(/[+#/]/g, '_').slice(0, 40));
    const handled: Promise<HandledCommand> = opened.ok
      ? bounded(handleCommand(opened.request, hooks), opened.request.tid, timeoutMs)
      : Promise.resolve({ response: { tid: opened.tid, ok: false, error: opened.reason } });
    // What ends the daemon after a revocation runs once the broker has the answer — or after a bounded
    // wait from when the answer was ready, acknowledged or not: a revocation queued behind a slow command
    // or a connection the hub's deletion cut must still end the kiosk's enrolment (review #4 A).
    void handled.then(({ after }) => {
      if (after) setTimeout(once(after), afterWaitMs);
    });
    const publish = ({ response, after }: HandledCommand) => {
      log.info({ command, tid: response.tid, ok: response.ok }, 'hub request');
      const done = after ? once(after) : undefined;
      client.publish(responseTopic, JSON.stringify(response), { qos: 1 }, () => done?.());
    };
    // Answered in the order asked, though some commands wait (the doctor's checks): a refusal never
    // overtakes the answer to an earlier request. Each is bounded (timeoutMs), so a hung one delays the
    // answers after it by that much at most (review #15).
    answered = answered
      .then(() => handled)
      .then(publish, (err: unknown) => log.error({ err, command }, 'hub request failed'));
  });
}

/** The command's answer, or a "timed out" answer after `ms` (the command itself may still finish). */
function bounded(work: Promise<HandledCommand>, tid: string, ms: number): Promise<HandledCommand> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<HandledCommand>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          response: { tid, ok: false, error: `command timed out after ${Math.round(ms / 1000)} s` },
        }),
      ms,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** `fn` run at most once, however many of its triggers fire. */
const onceRan = new WeakSet<() => void>();
function once(fn: () => void): () => void {
  return () => {
    if (onceRan.has(fn)) return;
    onceRan.add(fn);
    fn();
  };
}
