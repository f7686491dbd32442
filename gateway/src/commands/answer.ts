import type { RequestBody } from '@qrkiosk/protocol';

/**
 * Requests from the hub on `…/request/<command>`, answered on `…/response/<command>` with the
 * request's transaction id. They reach here only signed, fresh and for this kiosk (requests.ts);
 * only the commands and settings listed here exist. Nothing here can change a secret or a file, and
 * no request can loosen the signed rules.
 */
export type CommandName = 'config' | 'selftest' | 'resync' | 'purge';

export interface CommandHooks {
  configGet(): unknown;
  /** Runtime-only tightening (not written to kiosk.yaml): raise `rules.level`, stricter `rules.unknownPerson`. */
  configSet(key: string, value: unknown): void;
  selftest(): unknown;
  resync(): unknown;
  purge(): unknown;
}

export interface CommandResponse {
  tid: string | null;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export function handleCommand(request: RequestBody, hooks: CommandHooks): CommandResponse {
  const { tid, command } = request;
  try {
    switch (command) {
      case 'config':
        if (request.action === 'get' || request.action === undefined)
          return { tid, ok: true, result: hooks.configGet() };
        if (request.action === 'set' && typeof request.key === 'string') {
          hooks.configSet(request.key, request.value);
          return { tid, ok: true, result: hooks.configGet() };
        }
        return { tid, ok: false, error: 'config: action must be get, or set with key and value' };
      case 'selftest':
        return { tid, ok: true, result: hooks.selftest() };
      case 'resync':
        return { tid, ok: true, result: hooks.resync() };
      case 'purge':
        return { tid, ok: true, result: hooks.purge() };
      default:
        return { tid, ok: false, error: `unknown command "${command.slice(0, 40)}"` };
    }
  } catch (err) {
    return { tid, ok: false, error: (err as Error).message };
  }
}
