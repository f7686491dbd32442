import { checked, type Exec, firstLine, NO_FIX, skipped } from './check.js';

export const SERVICE = 'qrkiosk';

/** What the other checks need to know of the daemon: whether it runs (it holds the scanner) and its pid. */
export interface ServiceState {
  running: boolean;
  mainPid: number | null;
  /** The daemon's own `STATUS=` line (systemd/status.ts), null when it sent none. */
  statusText: string | null;
}

const LOGS = {
  vi: `xem lý do: journalctl -u ${SERVICE} -b -n 50`,
  en: `see why: journalctl -u ${SERVICE} -b -n 50`,
};

/** `systemctl show` of the unit: systemd's own view, with the restart count a crash loop leaves. */
export async function serviceCheck(exec: Exec) {
  const r = await exec('systemctl', [
    'show',
    '-p',
    'LoadState,ActiveState,SubState,NRestarts,MainPID,StatusText',
    SERVICE,
  ]);
  const none = (why: string) => ({
    state: { running: false, mainPid: null, statusText: null } as ServiceState,
    check: skipped('service', { vi: `Không có systemd: ${why}`, en: `No systemd: ${why}` }),
  });
  if (r.missing) return none('systemctl not found');
  if (r.code !== 0) return none(firstLine(r.stderr) || `systemctl exit ${r.code}`);
  const p = Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => l.split('='))
      .filter((kv) => kv.length >= 2)
      .map(([k, ...v]) => [k, v.join('=')]),
  );
  const active = p.ActiveState ?? 'unknown';
  const restarts = Number(p.NRestarts ?? 0);
  const pid = Number(p.MainPID ?? 0);
  const values = {
    loadState: p.LoadState ?? null,
    activeState: active,
    subState: p.SubState ?? null,
    restarts,
    mainPid: pid > 0 ? pid : null,
  };
  const state: ServiceState = {
    running: active === 'active' && pid > 0,
    mainPid: pid > 0 ? pid : null,
    statusText: p.StatusText ? p.StatusText : null,
  };
  if (p.LoadState === 'not-found')
    return {
      state,
      check: checked(
        'service',
        'fail',
        { vi: 'Dịch vụ qrkiosk chưa được cài', en: 'The qrkiosk service is not installed' },
        {
          vi: 'cài hardware/qrkiosk.service vào /etc/systemd/system/, rồi: systemctl enable --now qrkiosk',
          en: 'install hardware/qrkiosk.service in /etc/systemd/system/, then: systemctl enable --now qrkiosk',
        },
        values,
      ),
    };
  if (state.running && restarts === 0)
    return {
      state,
      check: checked(
        'service',
        'ok',
        { vi: `Dịch vụ đang chạy (PID ${pid})`, en: `Service running (PID ${pid})` },
        NO_FIX,
        values,
      ),
    };
  if (state.running)
    return {
      state,
      check: checked(
        'service',
        'warn',
        {
          vi: `Dịch vụ đang chạy nhưng đã tự khởi động lại ${restarts} lần`,
          en: `Service running, but it restarted itself ${restarts} times`,
        },
        LOGS,
        values,
      ),
    };
  // activating/auto-restart is a crash loop between two attempts; failed gave up; inactive was stopped.
  const said =
    active === 'inactive'
      ? { vi: 'Dịch vụ đã dừng: kiosk không quét', en: 'Service stopped: the kiosk is not scanning' }
      : {
          vi: `Dịch vụ không chạy (${active}/${p.SubState ?? '?'}, khởi động lại ${restarts} lần)`,
          en: `Service not running (${active}/${p.SubState ?? '?'}, ${restarts} restarts)`,
        };
  return {
    state,
    check: checked(
      'service',
      'fail',
      said,
      {
        vi: `${LOGS.vi}; sửa lỗi rồi: systemctl restart ${SERVICE}`,
        en: `${LOGS.en}; fix it, then: systemctl restart ${SERVICE}`,
      },
      values,
    ),
  };
}
