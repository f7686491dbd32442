import { request } from 'node:http';
import { EventBus } from '../bus.js';
import { createScannerInput } from '../input/index.js';
import { createLogger } from '../log.js';
import type { Settings } from '../settings/index.js';
import { checked, NO_FIX, type Said, skipped } from './check.js';
import { lastSeq } from './journal-view.js';

export interface ScannerCheckOptions {
  /** The daemon runs: it holds the scanner, so a test scan is watched for in its journal. */
  daemonRunning: boolean;
  /** 0: do not ask for a scan (`--no-scan`). */
  timeoutMs: number;
  /** Tells the technician to scan now (stderr in the CLI, so `--json` stays clean). */
  prompt: (said: Said) => void;
}

/**
 * Whether a daemon answers on the screens port: the daemon's own sign of life where systemd is not
 * there to ask (a bench, a container). Port 0 (screens off) answers nothing.
 */
export function screensAnswer(ui: Settings['ui'], timeoutMs = 1000): Promise<boolean> {
  if (ui.port === 0) return Promise.resolve(false);
  const host = ui.host === '0.0.0.0' ? '127.0.0.1' : ui.host === '::' ? '::1' : ui.host;
  return new Promise((resolve) => {
    const req = request({ host, port: ui.port, path: '/', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const where = (s: Settings['scanner']) => s.path ?? s.type;

/** How long the test scan waits for the scanner to open before asking anyway. */
const OPEN_WAIT_MS = 2000;

const NOT_READ: Said = {
  vi: 'kiểm tra cáp và nguồn máy quét, lau kính, thử mã khác; chạy: qrkiosk devices',
  en: 'check the scanner cable and power, clean its window, try another code; run: qrkiosk devices',
};

/**
 * Asks for a test scan and waits for one. While the daemon runs it holds the port, so the doctor
 * watches its journal (read only) for a new row; otherwise it opens the configured input the way
 * `run` does and waits for one frame. The code read is not shown: it is a person's document.
 */
export async function scannerCheck(settings: Settings, o: ScannerCheckOptions) {
  const s = settings.scanner;
  const seconds = Math.round(o.timeoutMs / 1000);
  const base = { type: s.type, path: s.path ?? null, timeoutSeconds: seconds };
  if (o.timeoutMs <= 0)
    return skipped(
      'scanner',
      { vi: 'Không thử quét (--no-scan)', en: 'No test scan asked (--no-scan)' },
      { ...base, via: null },
    );
  if (o.daemonRunning) return viaJournal(settings, o, base);
  return viaInput(settings, o, base);
}

async function viaJournal(
  settings: Settings,
  o: ScannerCheckOptions,
  base: Record<string, string | number | null>,
) {
  const values = { ...base, via: 'journal' };
  let start: number;
  try {
    start = lastSeq(settings.data.dir);
  } catch (err) {
    return checked(
      'scanner',
      'fail',
      {
        vi: `Không đọc được nhật ký của dịch vụ (${(err as { code?: string }).code ?? (err as Error).message})`,
        en: `Cannot read the daemon's journal (${(err as { code?: string }).code ?? (err as Error).message})`,
      },
      { vi: 'chạy doctor bằng người dùng của dịch vụ (sudo)', en: "run doctor as the service's user (sudo)" },
      values,
    );
  }
  o.prompt({
    vi: `Dịch vụ đang giữ máy quét: hãy quét một mã hợp lệ chưa quét trong ${settings.rules.duplicateWindowSeconds} giây qua (chờ ${Math.round(o.timeoutMs / 1000)} giây)…`,
    en: `The service holds the scanner: scan a valid code not scanned in the last ${settings.rules.duplicateWindowSeconds} s (waiting ${Math.round(o.timeoutMs / 1000)} s)…`,
  });
  const until = Date.now() + o.timeoutMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    if (lastSeq(settings.data.dir) > start)
      return checked(
        'scanner',
        'ok',
        {
          vi: `Máy quét đọc được: dịch vụ đã ghi lượt quét thử (${where(settings.scanner)})`,
          en: `Scanner reads: the service journaled the test scan (${where(settings.scanner)})`,
        },
        NO_FIX,
        values,
      );
  }
  return checked(
    'scanner',
    'fail',
    {
      vi: `Không có lượt quét mới trong ${base.timeoutSeconds} giây (dịch vụ đang giữ ${where(settings.scanner)})`,
      en: `No new scan within ${base.timeoutSeconds} s (the service holds ${where(settings.scanner)})`,
    },
    {
      vi: `${NOT_READ.vi}; một mã đã quét trong ${settings.rules.duplicateWindowSeconds} giây không được ghi lại`,
      en: `${NOT_READ.en}; a code scanned in the last ${settings.rules.duplicateWindowSeconds} s is not journaled again`,
    },
    values,
  );
}

async function viaInput(
  settings: Settings,
  o: ScannerCheckOptions,
  base: Record<string, string | number | null>,
) {
  const values = { ...base, via: 'input' };
  const bus = new EventBus();
  let connected = false;
  let opened: () => void = () => undefined;
  const open = new Promise<void>((r) => {
    opened = r;
  });
  bus.on('scanner.status', (st) => {
    connected = connected || st.connected;
    if (st.connected) opened();
  });
  let resolveLine: (length: number) => void = () => undefined;
  const line = new Promise<number>((r) => {
    resolveLine = r;
  });
  const input = createScannerInput(
    settings.scanner,
    (raw) => resolveLine(raw.length),
    bus,
    createLogger('silent'),
  );
  let timer: NodeJS.Timeout | undefined;
  let opening: NodeJS.Timeout | undefined;
  try {
    input.start();
    // Asked only once the port is open: a code scanned into a pty nobody holds yet is lost (seen here,
    // a scan made the instant the prompt appeared was never read). A scanner that does not open within
    // OPEN_WAIT_MS is still asked for, so that "cannot open" is reported after the full wait as before.
    await Promise.race([open, new Promise((r) => (opening = setTimeout(r, OPEN_WAIT_MS)))]);
    clearTimeout(opening);
    o.prompt({
      vi: `Hãy quét một mã bất kỳ vào ${where(settings.scanner)} (chờ ${base.timeoutSeconds} giây)…`,
      en: `Scan any code into ${where(settings.scanner)} (waiting ${base.timeoutSeconds} s)…`,
    });
    const timeout = new Promise<null>((r) => {
      timer = setTimeout(() => r(null), o.timeoutMs);
    });
    const length = await Promise.race([line, timeout]);
    if (length !== null)
      return checked(
        'scanner',
        'ok',
        {
          vi: `Máy quét đọc được: một mã ${length} ký tự từ ${where(settings.scanner)}`,
          en: `Scanner reads: one ${length}-character code from ${where(settings.scanner)}`,
        },
        NO_FIX,
        { ...values, connected: true, codeLength: length },
      );
    if (!connected)
      return checked(
        'scanner',
        'fail',
        {
          vi: `Không mở được máy quét ${where(settings.scanner)}`,
          en: `Cannot open the scanner ${where(settings.scanner)}`,
        },
        {
          vi: 'cắm lại máy quét; chạy qrkiosk devices để xem đường dẫn, sửa scanner.path trong kiosk.yaml',
          en: 'replug the scanner; run qrkiosk devices to see its path, set scanner.path in kiosk.yaml',
        },
        { ...values, connected: false },
      );
    return checked(
      'scanner',
      'fail',
      {
        vi: `Máy quét đã mở nhưng không đọc được mã nào trong ${base.timeoutSeconds} giây`,
        en: `Scanner open, but no code read within ${base.timeoutSeconds} s`,
      },
      {
        vi: `${NOT_READ.vi}; kiểm tra ký tự kết thúc (scanner.terminator) và tốc độ baud`,
        en: `${NOT_READ.en}; check the terminator (scanner.terminator) and baud rate`,
      },
      { ...values, connected: true },
    );
  } finally {
    clearTimeout(timer);
    clearTimeout(opening);
    await input.stop();
  }
}
