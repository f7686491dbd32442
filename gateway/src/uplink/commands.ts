/**
 * Requests from the hub on `…/request/<command>`, answered on `…/response/<command>` with the
 * request's transaction id. Payloads are hostile until checked: JSON, `tid` a short string, only the
 * commands and settings listed here. Nothing here can change a secret or a file.
 */
export type CommandName = 'config' | 'selftest' | 'resync' | 'purge';

export interface CommandHooks {
  configGet(): unknown;
  /** Runtime-only changes (not written to kiosk.yaml): `rules.level`, `rules.unknownPerson`. */
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

export function handleCommand(command: string, payload: Buffer, hooks: CommandHooks): CommandResponse {
  let request: { tid?: unknown; action?: unknown; key?: unknown; value?: unknown };
  try {
    request = JSON.parse(payload.toString('utf8')) as typeof request;
  } catch {
    return { tid: null, ok: false, error: 'request is not JSON' };
  }
  const tid = typeof request?.tid === 'string' && request.tid.length <= 64 ? request.tid : null;
  if (tid === null)
    return { tid: null, ok: false, error: 'request needs "tid" (string, at most 64 characters)' };
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
