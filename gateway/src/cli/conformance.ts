import { existsSync } from 'node:fs';
import { formatConformance, runConformance } from '../conformance/index.js';

/** `qrkiosk conformance DIR`: exit 0 when every case passes or is a known deviation, 1 otherwise, 2 on usage. */
export function conformanceCommand(dir: string, json: boolean, verbose: boolean): number {
  if (!existsSync(dir)) {
    process.stderr.write(`Không tìm thấy thư mục / no such folder: ${dir}\n`);
    return 2;
  }
  const report = runConformance(dir);
  process.stdout.write(`${json ? JSON.stringify(report) : formatConformance(report, verbose)}\n`);
  return report.failed === 0 ? 0 : 1;
}
