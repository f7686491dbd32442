import { randomBytes } from 'node:crypto';
import { DoctorReport, maskNumber, Sealed, sealTo, validatorFor } from '@qrkiosk/protocol';
import type { KioskLogins } from '../dynsec-accounts.js';
import type { KioskResponse } from '../requests.js';
import type { HubStore } from '../store.js';
import type { Text } from '../text.js';
import { revokeKiosk } from './enrolment.js';

/**
 * Commands from the hub to one kiosk — one home for `qrkiosk-hub request` and POST
 * /api/kiosks/:kiosk/commands. Each is a signed request over the kiosk's request/response topics
 * (docs/protocol.md, "Requests"), recorded in the kiosk's command history (migration 12) and audited
 * with who asked, the kiosk, the command and how it ended. Who may ask is the caller's to check
 * (routes/commands.ts: roles and scope); what the kiosk accepts is the kiosk's (it never loosens).
 */
export const KIOSK_COMMANDS = [
  'selftest',
  'resync',
  'doctor',
  'alert-level',
  'rotate-credentials',
  'revoke-enrolment',
  'config-set',
  'config-get',
  'purge',
  'clear-tightening',
] as const;
export type KioskCommand = (typeof KIOSK_COMMANDS)[number];

/**
 * Only an admin may change a kiosk's login, end its enrolment or lower what the hub raised: a
 * `clear-tightening` is the one command that makes a kiosk less strict (back to its signed rules and
 * kiosk.yaml), so it is an admin's, audited like every command.
 */
export const ADMIN_ONLY: ReadonlySet<KioskCommand> = new Set([
  'rotate-credentials',
  'revoke-enrolment',
  'purge',
  'clear-tightening',
]);

/** How long a rotation holds the kiosk's lock at most: the kiosk's own key for it lives as long. */
const ROTATION_LEASE_MS = 5 * 60_000;

/** A phone number in the history, for a reader who may not see officers' numbers (site owners). */
const PHONE = /^\+?\d{6,15}$/;
const maskActor = (actor: string) => (PHONE.test(actor) ? maskNumber(actor) : actor);

export interface CommandAsk {
  kiosk: string;
  command: KioskCommand;
  /** alert-level: the epidemic level 1–4 (only ever raised by the kiosk). */
  level?: number;
  /** config-set */
  key?: string;
  value?: unknown;
  /** Who asked: a user's phone, or `<os user>@cli`. */
  actor: string;
  /** The CLI's --site, for a kiosk the register does not know; the page never passes one. */
  site?: string;
}

export type CommandOutcome =
  | { ok: true; result: unknown }
  /** The kiosk answered and refused (HTTP 200 with ok:false: the command was delivered). */
  | { ok: false; status: 200; error: Text; result?: unknown }
  /** Nothing was done, or not all of it: the status says why (404 unknown kiosk, 504 no answer, …). */
  | { ok: false; status: number; error: Text };

/** One signed request and its answer; null when the kiosk did not answer in time (hub/src/requests.ts). */
export type SendRequest = (
  where: { site: string; kiosk: string },
  command: string,
  fields: { action?: string; key?: string; value?: unknown },
  timeoutMs: number,
) => Promise<KioskResponse | null>;

export interface KioskCommandsOptions {
  /** Broker logins (rotation, revocation); none: those two commands answer 503. */
  logins?: KioskLogins;
  /** Per request (default 10 s; the doctor's checks get 3 times as long). */
  timeoutMs?: number;
  /** How long a rotation waits for the kiosk to log in again with its new password (default 20 s). */
  rotationConfirmMs?: number;
}

const validDoctor = validatorFor(DoctorReport);
const validSealed = validatorFor(Sealed);
const NO_ANSWER: Text = { vi: 'kiosk không trả lời', en: 'the kiosk did not answer' };
const refusedBy = (error: string | undefined): Text => ({
  vi: `Kiosk từ chối: ${error ?? 'không rõ lý do'}`,
  en: `The kiosk refused: ${error ?? 'no reason given'}`,
});
const failed = (status: number, vi: string, en: string): CommandOutcome => ({
  ok: false,
  status,
  error: { vi, en },
});

export class KioskCommands {
  private readonly timeoutMs: number;

  constructor(
    private readonly store: HubStore,
    private readonly send: SendRequest,
    private readonly o: KioskCommandsOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  /** The site a kiosk is registered at (the register first, else where its messages come from), or null. */
  async siteOf(kiosk: string): Promise<string | null> {
    const binding = await this.store.repo.kioskBinding(kiosk);
    if (binding) return binding.site;
    return (await this.store.kiosks()).find((k) => k.kiosk === kiosk)?.site ?? null;
  }

  /** Runs one command to its end; never throws for the kiosk's or the caller's mistake. */
  async run(ask: CommandAsk, now = () => new Date()): Promise<CommandOutcome> {
    const site = ask.site ?? (await this.siteOf(ask.kiosk));
    if (!site) return failed(404, `Không có kiosk ${ask.kiosk}`, `No kiosk ${ask.kiosk}`);
    const where = { site, kiosk: ask.kiosk };
    let outcome: CommandOutcome;
    try {
      outcome = await this.dispatch(where, ask);
    } catch (err) {
      // The broker's dynamic security refused or timed out; a login that is not a kiosk's says so itself.
      const text = (err as { text?: Text }).text;
      outcome = text
        ? { ok: false, status: 409, error: text }
        : failed(
            502,
            `Lỗi khi gửi lệnh: ${(err as Error).message}`,
            `Command failed: ${(err as Error).message}`,
          );
    }
    const at = now().toISOString();
    if (outcome.ok && ask.command === 'doctor')
      await this.store.repo.fleet.saveDoctor(ask.kiosk, site, new Date(at), JSON.stringify(outcome.result));
    const kept = 'result' in outcome ? keptResult(ask.command, outcome.result) : undefined;
    await this.store.repo.fleet.addCommand({
      kiosk: ask.kiosk,
      site,
      at,
      actor: ask.actor,
      command: ask.command,
      ok: outcome.ok,
      result: kept === undefined ? null : JSON.stringify(kept),
      error: outcome.ok ? null : JSON.stringify(outcome.error),
    });
    await this.store.audit(ask.actor, 'kiosk-command', {
      kiosk: ask.kiosk,
      site,
      command: ask.command,
      outcome: outcome.ok
        ? 'ok'
        : outcome.status === 504
          ? 'timeout'
          : outcome.status === 200
            ? 'refused'
            : 'failed',
      ...(ask.level !== undefined ? { level: ask.level } : {}),
      ...(ask.key !== undefined ? { key: ask.key, value: ask.value } : {}),
    });
    return outcome;
  }

  /**
   * A kiosk's command history at its site, newest first, results and errors parsed. `maskActors`: an
   * officer's phone number shows its last 4 digits only (a site owner reads the history of their kiosks,
   * not the officers' numbers).
   */
  async history(site: string, kiosk: string, o: { limit?: number; maskActors?: boolean } = {}) {
    const rows = await this.store.repo.fleet.commands(site, kiosk, o.limit ?? 100);
    return rows.map((r) => ({
      at: r.at,
      actor: o.maskActors ? maskActor(r.actor) : r.actor,
      command: r.command,
      ok: r.ok,
      ...(r.result !== null ? { result: JSON.parse(r.result) as unknown } : {}),
      ...(r.error !== null ? { error: JSON.parse(r.error) as Text } : {}),
    }));
  }

  /** The kiosk's last doctor report made at this site, or null. */
  async doctor(site: string, kiosk: string): Promise<{ at: string; report: DoctorReport } | null> {
    const row = await this.store.repo.fleet.doctor(site, kiosk);
    return row ? { at: row.at, report: JSON.parse(row.report) as DoctorReport } : null;
  }

  private async dispatch(where: { site: string; kiosk: string }, ask: CommandAsk): Promise<CommandOutcome> {
    switch (ask.command) {
      case 'selftest':
      case 'resync':
      case 'purge':
        return this.simple(where, ask.command, {});
      case 'config-get':
        return this.simple(where, 'config', { action: 'get' });
      case 'clear-tightening':
        return this.simple(where, 'config', { action: 'clear' });
      case 'config-set':
        if (typeof ask.key !== 'string' || ask.value === undefined)
          return failed(400, 'config-set cần key và value', 'config-set needs key and value');
        return this.simple(where, 'config', { action: 'set', key: ask.key, value: ask.value });
      case 'alert-level':
        if (!Number.isInteger(ask.level) || (ask.level as number) < 1 || (ask.level as number) > 4)
          return failed(400, 'alert-level cần level từ 1 đến 4', 'alert-level needs a level from 1 to 4');
        return this.simple(where, 'alert-level', { value: ask.level });
      case 'doctor':
        return this.doctorOf(where);
      case 'rotate-credentials':
        return this.rotate(where);
      case 'revoke-enrolment':
        return this.revoke(where, ask.actor);
    }
  }

  private async simple(
    where: { site: string; kiosk: string },
    command: string,
    fields: { action?: string; key?: string; value?: unknown },
    timeoutMs = this.timeoutMs,
  ): Promise<CommandOutcome> {
    const r = await this.send(where, command, fields, timeoutMs);
    if (!r) return { ok: false, status: 504, error: NO_ANSWER };
    return r.ok ? { ok: true, result: r.result } : { ok: false, status: 200, error: refusedBy(r.error) };
  }

  /** The kiosk runs its doctor's checks (some take seconds); the report is checked before it is kept. */
  private async doctorOf(where: { site: string; kiosk: string }): Promise<CommandOutcome> {
    const r = await this.simple(where, 'doctor', {}, this.timeoutMs * 3);
    if (!r.ok) return r;
    const valid = validDoctor(r.result);
    if (!valid.ok || valid.value.kiosk !== where.kiosk)
      return failed(
        502,
        `Báo cáo doctor của kiosk không hợp lệ (${valid.ok ? 'sai kiosk' : valid.errors[0]})`,
        `The kiosk's doctor report is not valid (${valid.ok ? 'another kiosk' : valid.errors[0]})`,
      );
    return { ok: true, result: valid.value };
  }

  /**
   * A new broker password for the kiosk, the old one working until the kiosk has the new one:
   * begin (the kiosk makes a key pair for this rotation) → stage (the password sealed to it; the kiosk
   * writes it aside, 600) → the broker's password set (the kiosk's connection is ended) → status, until
   * the kiosk answers over a login the new password made. The password exists only in this call and
   * sealed on the wire; it is never logged, stored or returned.
   */
  private async rotate(where: { site: string; kiosk: string }): Promise<CommandOutcome> {
    const logins = this.o.logins;
    if (!logins)
      return failed(503, 'Trung tâm chưa quản lý tài khoản broker', 'The hub does not manage broker logins');
    // One rotation per kiosk across every hub process (the database row is the lock): two at once could
    // leave the broker with one password and the kiosk with the other (hostile review #3).
    const rotation = randomBytes(12).toString('base64url');
    const now = new Date();
    const fleet = this.store.repo.fleet;
    if (!(await fleet.lock(where.kiosk, rotation, new Date(now.getTime() + ROTATION_LEASE_MS), now)))
      return failed(
        409,
        'Kiosk đang được đổi mật khẩu broker (một lần đổi khác chưa xong)',
        'The kiosk’s broker password is already being rotated (another rotation is in flight)',
      );
    try {
      return await this.rotateHeld(where, logins, rotation);
    } finally {
      await fleet.unlock(where.kiosk, rotation);
    }
  }

  /** The rotation under the kiosk's lock; `rotation` names it on the kiosk too (stage and status). */
  private async rotateHeld(
    where: { site: string; kiosk: string },
    logins: KioskLogins,
    rotation: string,
  ): Promise<CommandOutcome> {
    const begun = await this.simple(where, 'rotate-credentials', { action: 'begin', key: rotation });
    if (!begun.ok) return begun;
    const publicKey = (begun.result as { publicKey?: unknown })?.publicKey;
    if (typeof publicKey !== 'string') return failed(502, 'Kiosk không gửi khóa', 'The kiosk sent no key');
    const password = randomBytes(24).toString('base64url');
    let sealed: Sealed;
    try {
      sealed = sealTo(publicKey, Buffer.from(JSON.stringify({ password }), 'utf8'));
    } catch {
      return failed(502, 'Khóa của kiosk không dùng được', 'The kiosk’s key cannot be used');
    }
    if (!validSealed(sealed).ok) return failed(500, 'Lỗi niêm phong', 'Sealing failed');
    const staged = await this.simple(where, 'rotate-credentials', {
      action: 'stage',
      key: rotation,
      value: sealed,
    });
    if (!staged.ok) return staged;
    // Only now: the kiosk has the new password on disk. From here the old one is refused.
    await logins.setPassword(where.kiosk, password);
    const until = Date.now() + (this.o.rotationConfirmMs ?? 20_000);
    while (Date.now() < until) {
      const r = await this.send(where, 'rotate-credentials', { action: 'status', key: rotation }, 2000);
      if (r?.ok && (r.result as { pending?: unknown })?.pending === false)
        return { ok: true, result: { rotated: true } };
    }
    return failed(
      504,
      'Đã đổi mật khẩu broker nhưng kiosk chưa đăng nhập lại — kiosk không trả lời',
      'The broker password was changed but the kiosk has not logged in again — the kiosk did not answer',
    );
  }

  /**
   * Ends the kiosk's enrolment: the kiosk is told first (it forgets its login and restarts unenrolled),
   * then its codes are withdrawn and its broker login deleted (`kiosk revoke`) — whether or not it
   * answered: a revocation never waits on the kiosk it is meant to stop.
   */
  private async revoke(where: { site: string; kiosk: string }, actor: string): Promise<CommandOutcome> {
    const logins = this.o.logins;
    if (!logins)
      return failed(503, 'Trung tâm chưa quản lý tài khoản broker', 'The hub does not manage broker logins');
    const told = await this.send(where, 'revoke-enrolment', {}, Math.min(this.timeoutMs, 5000));
    const { withdrawn } = await revokeKiosk(this.store, logins, where.kiosk, actor);
    // The revocation is done here whatever the kiosk said; what it said is reported as it is. A kiosk that
    // answered it could not forget its login (it has stopped deciding: gateway uplink/kiosk.ts) is not a
    // green "done" on the page: the admin is told to see to the kiosk on site.
    const result = {
      kioskTold: told !== null,
      kioskUnenrolled: told?.ok === true,
      ...(told && !told.ok ? { kioskError: String(told.error ?? '').slice(0, 200) } : {}),
      withdrawn,
      loginDeleted: true,
      retired: true,
    };
    if (told && !told.ok)
      return {
        ok: false,
        status: 200,
        error: {
          vi: `Đã thu hồi ở trung tâm, nhưng kiosk không xóa được đăng ký (${result.kioskError}); kiosk đã ngừng quyết định — cần kỹ thuật đến xử lý`,
          en: `Revoked at the hub, but the kiosk could not forget its enrolment (${result.kioskError}); it has stopped deciding — send a technician`,
        },
        result,
      };
    // Not reached (offline, or slower than the wait): its login is gone, but until it next tries the
    // broker it keeps deciding on what it has (docs/protocol.md) — never a green "done" on the page.
    if (!told)
      return {
        ok: false,
        status: 200,
        error: {
          vi: 'Đã thu hồi ở trung tâm, nhưng kiosk không trả lời: kiosk chưa biết và có thể vẫn cho vào — cần kỹ thuật đến gỡ kiosk',
          en: 'Revoked at the hub, but the kiosk did not answer: it does not know yet and may still admit people — send a technician to remove it',
        },
        result,
      };
    return { ok: true, result };
  }
}

/** What the history keeps of a result: a doctor report by its status (the report itself is kept apart). */
function keptResult(command: KioskCommand, result: unknown): unknown {
  if (command === 'doctor') {
    const r = result as { status?: unknown; at?: unknown } | undefined;
    return r && typeof r === 'object' ? { status: r.status, at: r.at } : undefined;
  }
  return result;
}
