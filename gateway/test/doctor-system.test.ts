/**
 * The doctor's reading of systemd and NTP programs. This machine has no systemd (systemctl answers
 * "System has not been booted with systemd"), so these tests hand the checks the programs' output
 * through the `exec` seam — a stand-in, named as such: the texts are `systemctl show`'s documented
 * KEY=VALUE lines, and `chronyc tracking` / `timedatectl timesync-status` lines as those programs
 * print them (chrony's "System time : 0.000001974 seconds slow of NTP time"). The real systemctl is
 * asked too, and must be told apart from a unit that is down.
 */
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { type Exec, systemExec } from '../src/doctor/check.js';
import { clockCheck } from '../src/doctor/clock.js';
import { serviceCheck } from '../src/doctor/service.js';
import { settingsFromText } from '../src/index.js';
import { statusLine } from '../src/systemd/status.js';
import { writeLastGood } from '../src/time/last-good.js';
import { TestClock } from './kiosk-rig.js';

/** Answers one program's output; every other program "is not installed". */
const answering =
  (outputs: Record<string, string>): Exec =>
  async (file, args) => {
    const key = [file, ...args].join(' ');
    const hit = Object.entries(outputs).find(([k]) => key.startsWith(k));
    return hit
      ? { code: 0, stdout: hit[1], stderr: '', missing: false }
      : { code: null, stdout: '', stderr: '', missing: true };
  };

const show = (fields: Record<string, string | number>) =>
  answering({
    'systemctl show': `${Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  });

describe('doctor: service (systemctl show)', () => {
  it('running, restarted, crash-looping, stopped, not installed', async () => {
    const base = {
      LoadState: 'loaded',
      ActiveState: 'active',
      SubState: 'running',
      NRestarts: 0,
      MainPID: 812,
    };
    const ok = await serviceCheck(show(base));
    expect(ok.check).toMatchObject({ status: 'ok', values: { mainPid: 812 } });
    expect(ok.state).toEqual({ running: true, mainPid: 812, statusText: null });
    // The daemon's STATUS= line (the broker check reads its link from it), '=' and Vietnamese kept.
    const line = statusLine({ scanner: 'ready', hubOnline: true, outbox: 0, faults: [] });
    expect((await serviceCheck(show({ ...base, StatusText: line }))).state.statusText).toBe(line);
    expect((await serviceCheck(show({ ...base, NRestarts: 3 }))).check.status).toBe('warn');
    const loop = await serviceCheck(
      show({ ...base, ActiveState: 'activating', SubState: 'auto-restart', NRestarts: 14, MainPID: 0 }),
    );
    expect(loop.check.status).toBe('fail');
    expect(loop.check.message.en).toContain('activating/auto-restart, 14 restarts');
    expect(loop.state.running).toBe(false);
    const stopped = await serviceCheck(
      show({ ...base, ActiveState: 'inactive', SubState: 'dead', MainPID: 0 }),
    );
    expect(stopped.check.message.en).toContain('Service stopped');
    const absent = await serviceCheck(show({ ...base, LoadState: 'not-found', ActiveState: 'inactive' }));
    expect(absent.check.fix.en).toContain('hardware/qrkiosk.service');
  });

  it('no systemd (the real systemctl on this machine, and none installed) is a skip with the reason', async () => {
    const real = await serviceCheck(systemExec);
    expect(real.check.status).toBe('skip');
    expect(real.check.message.en).toMatch(/^No systemd: /);
    expect((await serviceCheck(answering({}))).check.message.en).toBe('No systemd: systemctl not found');
  });
});

describe('doctor: clock offset', () => {
  const settings = (lines = '') =>
    settingsFromText(
      `kiosk: { id: k-1, site: s-1 }\ndata: { dir: "${makeTempDir('doctor-clock-')}" }\n${lines}`,
      't',
      {},
    ).settings;

  it('reads timesyncd, else chrony, else says unknown', async () => {
    const clock = new TestClock('2026-11-26T10:00:00Z');
    const timesync = await clockCheck(
      settings(),
      clock,
      answering({ 'timedatectl show': 'yes\n', 'timedatectl timesync-status': '       Offset: -567us\n' }),
    );
    expect(timesync).toMatchObject({
      status: 'ok',
      values: { offsetMs: -0.567, offsetSource: 'timesyncd', ntpSynchronized: true },
    });
    const chrony = await clockCheck(
      settings(),
      clock,
      answering({ 'chronyc tracking': 'System time     : 1.500001974 seconds slow of NTP time\n' }),
    );
    expect(chrony).toMatchObject({ status: 'warn', values: { offsetMs: -1500.002, offsetSource: 'chrony' } });
    const none = await clockCheck(settings(), clock, answering({}));
    expect(none.values.offsetMs).toBeNull();
    expect(none.message.en).toContain('offset unknown');
  });

  it('fails an unsynced clock, and one behind the last good time; warns on assumeSynced', async () => {
    const clock = new TestClock('2026-11-26T10:00:00Z');
    clock.isSynced = false;
    const unsynced = await clockCheck(settings(), clock, answering({ 'timedatectl show': 'yes\n' }));
    expect(unsynced.status).toBe('fail');
    // NTP says yes but timesyncd's flag (what the kiosk trusts) is missing: another NTP daemon.
    expect(unsynced.fix.en).toContain('systemd-timesyncd');
    clock.isSynced = true;
    const s = settings();
    writeLastGood(s.data.dir, new Date('2026-11-27T00:00:00Z'));
    const behind = await clockCheck(s, clock, answering({}));
    expect(behind.status).toBe('fail');
    expect(behind.message.en).toContain('behind the last good time');
    expect((await clockCheck(settings('clock: { assumeSynced: true }\n'), clock, answering({}))).status).toBe(
      'warn',
    );
  });
});
