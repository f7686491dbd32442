import { spawnSync } from 'node:child_process';

/**
 * `promtool check metrics` (Prometheus's own linter, Debian package `prometheus`) over an exposition
 * piped on stdin: status 0 and no output is a clean exposition; a parse error or a lint finding
 * (a counter without `_total`, a missing HELP) is a nonzero status with the finding in `output`.
 */
export function promtoolCheck(body: string): { status: number; output: string } {
  const bin = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
  const r = spawnSync(bin, ['check', 'metrics'], { input: body, encoding: 'utf8' });
  if (r.error)
    throw new Error(`cannot run ${bin} (${r.error.message}): install it with apt-get install prometheus`);
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * The value of one sample in a text exposition, by metric name and exact label set (our own reader,
 * for checking values; promtool is the judge of the format). Undefined when there is no such sample.
 */
export function sampleValue(
  body: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(
      (l) => [l[1], l[2]] as [string, string],
    );
    if (JSON.stringify(got.sort()) === want) return Number(m[3]);
  }
  return undefined;
}

/** The metric names an exposition declares (its `# TYPE` lines). */
export function exposedMetrics(body: string): Set<string> {
  return new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}
