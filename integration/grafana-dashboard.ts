/** Reading the Grafana dashboard (hardware/grafana/qrkiosk.json) for the metrics test. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@qrkiosk/testkit';

interface Panel {
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expr of the dashboard's panels (rows' nested panels included). */
export function dashboardExprs(file: string): string[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((p) => [
      ...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ...walk(p.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

/**
 * The metric families an expr reads: our names and the process/runtime ones, outside string literals;
 * a histogram's `_bucket`, `_sum` and `_count` series are its family's.
 */
export function metricNamesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = [...code.matchAll(/\b(?:qrkiosk|process|nodejs)_[A-Za-z0-9_]+/g)].map((m) => m[0]);
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

/**
 * `promtool check rules` over the exprs as recording rules: Prometheus's own PromQL parser judges
 * each one. Grafana's variables sit only inside label values (`job="$hub_job"`), which PromQL accepts.
 */
export function promtoolRules(exprs: readonly string[]): { status: number; output: string } {
  const file = join(makeTempDir('dashboard-rules-'), 'rules.yml');
  const rules = exprs.map(
    (expr, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(expr)}`,
  );
  writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
  const bin = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
  const r = spawnSync(bin, ['check', 'rules', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${bin} (${r.error.message})`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}
