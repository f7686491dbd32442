/**
 * Software updates end to end on real parts: a real hub (rollout engine, HTTP, SQLite), a real Mosquitto, two
 * kiosk daemons (compiled) each installed under its own root by `qrkiosk update apply`, and three versions built
 * from this checkout by the release's own staging code, signed by openssl: 9.0.0 (installed first), 9.1.0 (good),
 * 9.2.0 (bad: exits before READY). The restart command is a Python stand-in for systemctl with a real notify socket
 * (integration/software-supervisor.py). Flow: release add → rollout canary k-001 then site:s-002 → k-001 installs
 * 9.1.0, checks itself, reports healthy → the next stage reaches k-002 → done; then 9.2.0 started over HTTP: k-001
 * installs it, gets no READY, switches back to 9.1.0 by itself and reports the roll-back → the rollout halts and
 * k-002 never downloads it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { generateSigningKey, Hub, type RolloutRow, readSigningKey } from '@qrkiosk/hub';
import { Cleanups, freePort, makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from './release-bundles.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const SUPERVISOR = join(REPO_ROOT, 'integration/software-supervisor.py');
const PHONE = '0901234567';
const PASSWORD = 'rollout-admin-password';
const cleanups = new Cleanups();
afterAll(() => cleanups.run());

interface Telemetry {
  software?: string;
  update?: { state: string; version?: string; previous?: string; detail?: string };
}

describe('software rollout: hub → canary → next stage, and a bad version rolled back by the kiosk itself', () => {
  it('installs a good version stage by stage and halts on a version that fails its health check', async () => {
    const dir = makeTempDir('sw-rollout-');
    // Where the time goes (printed, never asserted: the machine is shared).
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string) => marks.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // node for the bundles' launcher (bin/qrkiosk runs `node` from PATH, as on a kiosk).
    const env = {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      QRKIOSK_LANG: 'en',
    };
    const release = opensslKey(dir);
    const hubKey = generateSigningKey(join(dir, 'hub-keys'));
    const bundles = join(dir, 'bundles');
    mkdirSync(bundles);
    const v0 = buildBundle({ out: bundles, version: '9.0.0', key: release.key });
    const good = buildBundle({ out: bundles, version: '9.1.0', key: release.key });
    const bad = buildBundle({
      out: bundles,
      version: '9.2.0',
      key: release.key,
      // The real kiosk build, patched to die on `run` before it can say READY (a broken release).
      patch: (d) => {
        const main = join(d, 'gateway/dist/cli/main.js');
        writeFileSync(
          main,
          `if (process.argv[2] === 'run') { console.error('9.2.0: broken build'); process.exit(1); }\n${readFileSync(main, 'utf8')}`,
        );
      },
    });

    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const hubData = join(dir, 'hub');
    mkdirSync(hubData);
    const port = await freePort();
    const hubYaml = join(dir, 'hub.yaml');
    writeFileSync(hubYaml, `dataDir: ${hubData}\nreleases:\n  publicKeyFiles: [${release.pub}]\n`);
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 1 },
      dataDir: hubData,
      http: { host: '127.0.0.1', port },
      rollouts: {
        signing: readSigningKey(hubKey.privateFile),
        baseUrl: `http://127.0.0.1:${port}`,
        tickMs: 300,
      },
      log: pino({ level: process.env.QRKIOSK_TEST_LOG ?? 'silent' }),
    });
    const address = await hub.start();
    cleanups.push(() => hub.stop());
    const store = hub.store;
    if (!store) throw new Error('hub store not open');
    const hubCli = (...args: string[]) =>
      spawnSync(process.execPath, [HUB_CLI, ...args, '--config', hubYaml], { encoding: 'utf8' });

    // Two kiosks, each with its own install root, first installed by the installer itself (no previous version).
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'), { mode: 0o600 });
    const kiosks = await Promise.all(
      [
        { id: 'k-001', site: 's-001' },
        { id: 'k-002', site: 's-002' },
      ].map(async ({ id, site }) => {
        const root = join(dir, id);
        mkdirSync(root);
        // Node finds the dependencies beside the qrkiosk-<v>/ folders (a full bundle carries its own node_modules).
        symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
        const scanner = new VirtualSerialScanner();
        await scanner.plugIn();
        cleanups.push(() => scanner.unplug());
        const config = join(root, 'kiosk.yaml');
        const cli = join(root, 'qrkiosk/bin/qrkiosk');
        writeFileSync(
          config,
          [
            `kiosk: { id: ${id}, site: ${site} }`,
            `scanner: { path: "${scanner.path}" }`,
            'gpio: { driver: sim }',
            'clock: { assumeSynced: true }',
            'ui: { port: 0 }',
            `mqtt: { url: "${broker.url}", telemetrySeconds: 5 }`,
            `data: { dir: "${join(root, 'data')}" }`,
            `updates: { publicKeyFiles: ["${hubKey.publicFile}"] }`,
            `privacy: { hashKeyFile: "${hashKey}" }`,
            'software:',
            `  root: "${root}"`,
            `  releaseKeyFiles: ["${release.pub}"]`,
            `  restartCommand: "python3 ${SUPERVISOR} ${root} ${config} 20"`,
            // The new code answers as the new version; `qrkiosk doctor` as in production (no test scan asked of a
            // person; exit 0 with warnings: no systemd, simulated GPIO); a scan goes through the new decision path on
            // this kiosk's data (a person it has no data for: REVIEW, never an error).
            '  checkCommands:',
            `    - '"$QRKIOSK_BIN" --version | grep -qx "$QRKIOSK_VERSION"'`,
            `    - '"$QRKIOSK_BIN" doctor --no-scan -c "$QRKIOSK_CONFIG"'`,
            `    - '"$QRKIOSK_BIN" check -c "$QRKIOSK_CONFIG" --json "079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021" | grep -q "\\"verdict\\":\\"REVIEW\\""'`,
            '  readySeconds: 20',
            `  applyCommand: ["${cli}", "update", "apply", "-c", "${config}"]`,
          ].join('\n'),
        );
        cleanups.push(() => stopDaemon(root));
        // Both kiosks at once (async: the hub in this process keeps taking their telemetry meanwhile).
        const first = await run(
          process.execPath,
          [
            join(REPO_ROOT, 'gateway/dist/cli/main.js'),
            'update',
            'apply',
            '-c',
            config,
            '--bundle',
            v0.tarball,
            '--sig',
            v0.sig,
            '--json',
          ],
          env,
        );
        expect(first.status, `${first.stdout}${first.stderr}`).toBe(0);
        return { id, root, config };
      }),
    );
    const telemetry = async (id: string): Promise<Telemetry> => {
      const row = (await store.kiosks()).find((k) => k.kiosk === id);
      return row?.telemetry ? (JSON.parse(row.telemetry) as Telemetry) : {};
    };
    mark('bundles built, both kiosks installed');
    for (const k of kiosks)
      await waitFor(
        async () => ((await telemetry(k.id)).software === '9.0.0' ? true : undefined),
        20_000,
        `${k.id} on 9.0.0`,
      );

    // The hub takes only what the release key signed, and serves only what it took.
    const forgedKey = opensslKey(dir, 'forger');
    const forged = buildBundle({ out: join(dir, 'forged'), version: '9.1.1', key: forgedKey.key });
    const refused = hubCli('release', 'add', '--bundle', forged.tarball);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('signature not valid');
    for (const b of [good, bad]) expect(hubCli('release', 'add', '--bundle', b.tarball).status).toBe(0);
    expect((await fetch(`${address}/releases/${forged.name}`)).status).toBe(404);
    const served = Buffer.from(await (await fetch(`${address}/releases/${good.name}`)).arrayBuffer());
    expect(served.equals(readFileSync(good.tarball))).toBe(true);

    // Stage 1: the canary k-001; stage 2: site s-002 (k-002), only after k-001 reports 9.1.0 healthy.
    const started = hubCli(
      'rollout',
      'start',
      '--version',
      '9.1.0',
      '--canary',
      'k-001',
      '--then',
      'site:s-002',
      '--json',
    );
    expect(started.status, started.stderr).toBe(0);
    const goodId = (JSON.parse(started.stdout) as RolloutRow).id;
    mark('9.1.0 rollout started');
    const rollout = async (id: string) => (await store.repo.releases.rollouts()).find((r) => r.id === id);
    await waitFor(
      async () => {
        const u = (await telemetry('k-001')).update;
        return u?.state === 'healthy' && u.version === '9.1.0' ? true : undefined;
      },
      45_000,
      'k-001 healthy on 9.1.0',
    );
    mark('canary healthy');
    // While the canary was being checked, k-002 was not a target.
    expect((await telemetry('k-002')).software).toBe('9.0.0');
    await waitFor(
      async () => ((await rollout(goodId))?.state === 'done' ? true : undefined),
      45_000,
      'rollout 9.1.0 done',
    );
    mark('9.1.0 rollout done');
    for (const k of kiosks) {
      expect(await telemetry(k.id)).toMatchObject({
        software: '9.1.0',
        update: { state: 'healthy', version: '9.1.0', previous: '9.0.0' },
      });
      expect(readlinkSync(join(k.root, 'qrkiosk'))).toBe(join(k.root, 'qrkiosk-9.1.0'));
    }

    // The bad version, started over HTTP by an admin (csrf, audited).
    await store.users.add(PHONE, PASSWORD, 'admin', ['*']);
    const login = await fetch(`${address}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: PHONE, password: PASSWORD }),
    });
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const api = (path: string, body?: unknown) =>
      fetch(`${address}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          cookie,
          'x-csrf-token': csrf,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const noCsrf = await fetch(`${address}/api/rollouts`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '9.2.0', canary: ['k-001'] }),
    });
    expect(noCsrf.status).toBe(403);
    const start = await api('/api/rollouts', { version: '9.2.0', canary: ['k-001'], after: ['site:s-002'] });
    expect(start.status).toBe(200);
    const badId = ((await start.json()) as RolloutRow).id;
    await waitFor(
      async () => ((await rollout(badId))?.state === 'halted' ? true : undefined),
      60_000,
      'rollout 9.2.0 halted',
    );
    mark('9.2.0 rolled back, rollout halted');
    process.stderr.write(`software rollout e2e: ${marks.join('; ')}\n`);
    const k1 = await telemetry('k-001');
    // Rolled back by the kiosk itself: the daemon running again is 9.1.0, and it says why.
    expect(k1).toMatchObject({
      software: '9.1.0',
      update: { state: 'rolled-back', version: '9.2.0', previous: '9.1.0' },
    });
    expect(k1.update?.detail).toContain('exited with code 1 before READY');
    expect(readlinkSync(join(kiosks[0]?.root ?? '', 'qrkiosk'))).toBe(
      join(kiosks[0]?.root ?? '', 'qrkiosk-9.1.0'),
    );
    const views = (await (await api('/api/rollouts')).json()) as Array<{
      id: string;
      state: string;
      detail: string;
      stages: Array<{
        name: string;
        publishedAt: string | null;
        progress: { healthy: string[]; failed: unknown[] };
      }>;
    }>;
    const halted = views.find((v) => v.id === badId);
    expect(halted?.detail).toMatch(/^k-001 rolled back 9\.2\.0/);
    expect(halted?.stages.map((s) => [s.name, s.publishedAt !== null, s.progress.failed.length])).toEqual([
      ['canary', true, 1],
      ['site:s-002', false, 0],
    ]);
    // k-002 was never a target: still 9.1.0, and it never downloaded 9.2.0.
    expect((await telemetry('k-002')).software).toBe('9.1.0');
    const k2request = JSON.parse(
      readFileSync(join(kiosks[1]?.root ?? '', 'data/software/request.json'), 'utf8'),
    );
    expect(k2request.version).toBe('9.1.0');
    expect(existsSync(join(kiosks[1]?.root ?? '', 'qrkiosk-9.2.0'))).toBe(false);
    const audit = (await store.repo.auditLog(50)).map((a) => a.action);
    expect(audit).toEqual(
      expect.arrayContaining(['release-add', 'rollout-start', 'rollout-done', 'rollout-halt']),
    );
  }, 180_000);
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function stopDaemon(root: string): void {
  try {
    process.kill(Number(readFileSync(join(root, 'daemon.pid'), 'utf8')), 'SIGKILL');
  } catch {
    // Already gone.
  }
}
