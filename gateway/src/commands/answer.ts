import type { RequestBody } from '@qrkiosk/protocol';

/**
 * Requests from the hub on `…/request/<command>`, answered on `…/response/<command>` with the
 * request's transaction id. They reach here only signed, fresh and for this kiosk (gate.ts); only the
 * commands and settings listed here exist. No request can loosen the signed rules; the only secret a
 * request can change is the broker password, and only to one sealed to this kiosk (rotation.ts).
 */
export const COMMAND_NAMES = [
  'config',
  'selftest',
  'resync',
  'purge',
  'doctor',
  'alert-level',
  'rotate-credentials',
  'revoke-enrolment',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface CommandHooks {
  configGet(): unknown;
  /** A checked tightening, kept in the data folder (remote-config.ts): `rules.level` up, `rules.unknownPerson` stricter. */
  configSet(key: string, value: unknown): void;
  /** An admin's `clear-tightening`: forget every remote tightening, back to the signed rules and kiosk.yaml. */
  clearTightening(): void;
  selftest(): unknown;
  resync(): unknown;
  purge(): unknown;
  /** The doctor's checks run in the daemon: a qrkiosk.doctor/1 report. */
  doctor(): Promise<unknown>;
  /** A new broker password: `begin`, `stage` (value: sealed), `status`; `key`: the rotation's id (rotation.ts). */
  rotateCredentials(action: string | undefined, rotation: string | undefined, value: unknown): unknown;
  /**
   * Forgets this kiosk's enrolment now (kiosk.yaml rewritten, decisions stopped) and says so; `after`
   * ends the daemon once the answer is out or a bounded wait passed (uplink/listeners.ts). Throws when
   * the enrolment could not be forgotten: the kiosk then stays stopped (a fault, never green).
   */
  revokeEnrolment(): { result: unknown; after: () => void };
}

export interface CommandResponse {
  tid: string | null;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** The answer, and what to do once it has been published (a revocation ends the kiosk's login). */
export interface HandledCommand {
  response: CommandResponse;
  after?: () => void;
}

export async function handleCommand(request: RequestBody, hooks: CommandHooks): Promise<HandledCommand> {
  const { tid, command } = request;
  const answer = (result: unknown): HandledCommand => ({ response: { tid, ok: true, result } });
  try {
    switch (command) {
      case 'config':
        if (request.action === 'get' || request.action === undefined) return answer(hooks.configGet());
        if (request.action === 'set' && typeof request.key === 'string') {
          hooks.configSet(request.key, request.value);
          return answer(hooks.configGet());
        }
        if (request.action === 'clear') {
          hooks.clearTightening();
          return answer(hooks.configGet());
        }
        return {
          response: {
            tid,
            ok: false,
            error: 'config: action must be get, set with key and value, or clear',
          },
        };
      case 'alert-level':
        // The level named by the hub's page is rules.level: the same checked path as `config set`.
        hooks.configSet('rules.level', request.value);
        return answer(hooks.configGet());
      case 'selftest':
        return answer(hooks.selftest());
      case 'resync':
        return answer(hooks.resync());
      case 'purge':
        return answer(hooks.purge());
      case 'doctor':
        return answer(await hooks.doctor());
      case 'rotate-credentials':
        return answer(await hooks.rotateCredentials(request.action, request.key, request.value));
      case 'revoke-enrolment': {
        const { result, after } = hooks.revokeEnrolment();
        return { response: { tid, ok: true, result }, after };
      }
      default:
        return { response: { tid, ok: false, error: `unknown command "${command.slice(0, 40)}"` } };
    }
  } catch (err) {
    return { response: { tid, ok: false, error: (err as Error).message } };
  }
}
