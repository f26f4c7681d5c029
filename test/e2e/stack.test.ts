/**
 * The local topology, deployed for real: OpenTofu + kreuzwerker/docker against the Docker
 * engine scripts/engine-docker.sh starts, images from scripts/images.sh. Tests run in order;
 * each builds on the state the previous one left.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerOf, containers, deploy, docker, ENV, plannedChanges, probe, psql, report, ROOT, run, runAsync, SECRETS, STACK_DIR, steadyTraffic, tofu, toolEnv, writeEnvironment, type RunResult,
} from './harness';
import { gatedRemovals, parseEvents, removalsBeforeDrain, runsOf } from '../../lib/deploy/drain-order';

const canaries = Object.values(SECRETS);
const noCanary = (text: string, where: string) => {
  for (const c of canaries) expect(text.includes(c), `${where} contains a secret value`).toBe(false);
};
/** Containers by replica (e2e-backend-1), whatever revision runs it. */
const byName = () => Object.fromEntries(containers().map((c) => [c.replica, c]));
const sh = (cmd: string) => execSync(cmd, { cwd: ROOT, stdio: 'inherit', env: toolEnv() });

function synthOnly(): void {
  const r = run(process.execPath, ['dist/bin/main.js'], { env: toolEnv({ STACKYARD_ONLY: ENV, STACKYARD_QUIET: '1' }) });
  if (r.status !== 0) throw new Error(r.stderr);
}

beforeAll(() => {
  sh('bash scripts/engine-docker.sh start');
  sh('bash scripts/engine.sh');
  sh('bash scripts/images.sh');
  // leftovers of an interrupted earlier run
  writeEnvironment();
  // a deploy lock a crashed earlier run left on this test engine (it would block every deploy here)
  run('docker', ['rm', '-f', `stackyard-lock-${ENV}`]);
  run('bash', ['scripts/down.sh', ENV, '--volumes', '--yes']);
  for (const id of docker('ps', '-aq', '--filter', `label=stackyard.environment=${ENV}`).split('\n').filter(Boolean)) docker('rm', '-f', id);
  for (const v of docker('volume', 'ls', '-q', '--filter', `name=${ENV}-`).split('\n').filter(Boolean)) docker('volume', 'rm', '-f', v);
  fs.rmSync(path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`), { force: true });
});

afterAll(() => {
  if (process.env.STACKYARD_E2E_KEEP !== '1') {
    run('bash', ['scripts/down.sh', ENV, '--volumes', '--yes']);
    run('bash', ['scripts/engine-docker.sh', 'stop']);
  }
});

describe('the e2e environment on a real engine', () => {
  it('deploys from empty: every service healthy, the prestart job completed, no secret in the output', async () => {
    const t0 = Date.now();
    const r = await deploy();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    report('initial deploy seconds', Math.round((Date.now() - t0) / 100) / 10);
    noCanary(r.output, 'deploy output');
    const c = byName();
    expect(Object.keys(c).sort()).toEqual([
      'e2e-adminer-1', 'e2e-backend-1', 'e2e-backend-2', 'e2e-celery-worker-1', 'e2e-db-1', 'e2e-frontend-1', 'e2e-frontend-2',
      'e2e-orchestrator-1', 'e2e-prestart-1', 'e2e-proxy-1', 'e2e-redis-1', 'e2e-watcher-1',
    ]);
    for (const x of Object.values(c)) {
      if (x.replica === 'e2e-prestart-1') expect([x.state, x.exitCode]).toEqual(['exited', 0]);
      else {
        expect(x.state, x.name).toBe('running');
        if (x.health) expect(x.health, x.name).toBe('healthy');
      }
    }
    for (const n of ['e2e-db-1', 'e2e-redis-1', 'e2e-backend-1', 'e2e-orchestrator-1', 'e2e-proxy-1']) expect(c[n].health, n).toBe('healthy');
  });

  it('routes requests through Traefik to each backend replica', async () => {
    // Traefik discovers containers from Docker events; give it a moment after the deploy
    const t0 = Date.now();
    while (!(await probe()).ok && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 250));
    report('seconds from deploy end to first routed request', (Date.now() - t0) / 1000);
    // both replicas behind one router (Traefik throttles config updates, so allow a few seconds)
    const seen = new Set<string>();
    const t1 = Date.now();
    while (seen.size < 2 && Date.now() - t1 < 30_000) {
      const r = await probe();
      expect(r.ok).toBe(true);
      seen.add(r.body.replica);
      await new Promise((res) => setTimeout(res, 100));
    }
    report('seconds until both backend replicas answered through the proxy', (Date.now() - t0) / 1000);
    expect([...seen].sort()).toEqual(['e2e-backend-1', 'e2e-backend-2']);
    const front = await probe('dashboard.localhost', '/');
    expect(front.body.replica).toMatch(/^e2e-frontend-[12]$/);
  });

  it('ran the prestart job to completion before the backend started', () => {
    const rows = psql("select kind || ' ' || name from events order by id").split('\n');
    const done = rows.indexOf('prestart-done e2e-prestart-1');
    const firstBackend = rows.findIndex((r) => /^start e2e-backend-/.test(r));
    expect(rows[0]).toBe('prestart-begin e2e-prestart-1');
    expect(done).toBeGreaterThan(0);
    expect(firstBackend).toBeGreaterThan(done);
    const c = byName();
    expect(Date.parse(c['e2e-prestart-1'].finishedAt)).toBeLessThanOrEqual(Date.parse(c['e2e-backend-1'].startedAt));
  });

  it('delivers secrets as 0400 files only to the services that list them; docker inspect and logs show no value', () => {
    const files = (name: string) => {
      const r = run('docker', ['exec', containerOf(name), 'sh', '-c', 'ls /run/secrets 2>/dev/null || true']);
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(files('e2e-backend-1')).toEqual(['DATABASE_URL', 'DB_PASSWORD', 'JWT_SECRET', 'REDIS_PASSWORD', 'REDIS_URL']);
    expect(files('e2e-orchestrator-1')).toEqual(['CRYPTOPANIC_API_KEY', 'DATABASE_URL', 'DB_PASSWORD', 'JWT_SECRET', 'NANSEN_API_KEY', 'NEWSCATCHER_API_KEY', 'REDIS_PASSWORD', 'REDIS_URL']);
    expect(files('e2e-watcher-1')).toEqual(['DATABASE_URL', 'DB_PASSWORD', 'REDIS_PASSWORD', 'REDIS_URL']);
    expect(files('e2e-frontend-1')).toEqual([]);
    expect(files('e2e-db-1')).toEqual(['DB_PASSWORD']);
    expect(docker('exec', containerOf('e2e-backend-1'), 'stat', '-c', '%a %U', '/run/secrets/JWT_SECRET')).toBe('400 root');
    // the file holds the value given at deploy time
    expect(docker('exec', containerOf('e2e-backend-1'), 'cat', '/run/secrets/JWT_SECRET')).toBe(SECRETS.JWT_SECRET);
    const ids = containers().map((c) => c.id);
    noCanary(docker('inspect', ...ids), 'docker inspect');
    for (const c of containers()) noCanary(run('docker', ['logs', c.name]).stdout + run('docker', ['logs', c.name]).stderr, `docker logs ${c.name}`);
  });

  it('plans no change on a second deploy', () => {
    const p = tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout).toBe(0);
  });

  it('replaces only the backend containers when its image tag changes, start-first: not one request fails meanwhile', async () => {
    writeEnvironment({ backendTag: '2' });
    synthOnly();
    const changes = plannedChanges();
    const replaced = changes.filter((c) => c.actions.includes('delete'));
    // create_before_destroy: the new container first, then the old one; a new revision (the
    // replicas' new names) and the drain gate again
    expect(replaced.map((c) => [c.address, c.actions.join(',')]).sort()).toEqual([
      ['docker_container.svc_backend_1', 'create,delete'], ['docker_container.svc_backend_2', 'create,delete'], ['terraform_data.drain_backend', 'delete,create'],
      ['terraform_data.revision_backend', 'create,delete'],
    ]);
    expect(changes.filter((c) => !c.actions.includes('delete')).map((c) => c.address)).toEqual(['docker_image.image_local_stackyard_demo_app_2']);
    const before = containers().filter((c) => c.replica.startsWith('e2e-backend-')).map((c) => c.name).sort();
    const traffic = steadyTraffic();
    await new Promise((res) => setTimeout(res, 1000));
    const r = await deploy({ backendTag: '2' });
    await new Promise((res) => setTimeout(res, 3000)); // after the deploy too: the old replicas are gone by now
    const counts = await traffic.stop();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    report('requests failed during backend tag change (start-first)', { sent: counts.sent, failed: counts.failed, versions: counts.versions });
    expect(counts.sent).toBeGreaterThan(200);
    expect(counts.failures).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(Object.keys(counts.versions).sort()).toEqual(['1', '2']);
    const after = containers().filter((c) => c.replica.startsWith('e2e-backend-')).map((c) => c.name).sort();
    expect(after).toHaveLength(2);
    for (const n of after) expect(before).not.toContain(n);
    for (let i = 0; i < 6; i++) expect((await probe()).body.version).toBe('2');
  });

  it('a new backend image that never becomes healthy fails the deploy, naming the replica and its health output; the old replicas keep serving; the good image converges, removing the old replica left deposed only after the drain gate: not one request fails throughout', async () => {
    const before = byName();
    const log = path.join(ROOT, '.stackyard', 'e2e-recovery-engine.jsonl');
    fs.rmSync(log, { force: true });
    const traffic = steadyTraffic();
    let failing: { failed: number; sent: number; versions: Record<string, number> };
    let r: RunResult;
    let running = '';
    let good: RunResult;
    try {
      r = await deploy({ backendTag: 'unhealthy' });
      failing = { failed: traffic.counts.failed, sent: traffic.counts.sent, versions: { ...traffic.counts.versions } };
      // the old replicas still run (asked without blocking this process: the traffic goes on)
      running = (await runAsync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=stackyard.environment=${ENV}`], toolEnv())).output;
      // the next deploy (the good image again) starts new replicas beside the failed one and the
      // old one it left deposed, then removes all three old containers after the drain gate
      good = await deploy({ backendTag: '2' }, {}, { STACKYARD_ENGINE_LOG: log });
      await new Promise((res) => setTimeout(res, 3000)); // the old replicas are gone by now
    } finally {
      await traffic.stop();
    }
    const counts = traffic.counts;
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('container failed to be in healthy state');
    expect(r.output).toMatch(/service backend, replica 1: container e2e-backend-1-[0-9a-f]{8} is unhealthy, not healthy; the replicas it was to replace keep serving/);
    expect(r.output).toMatch(/last health output:\n\s+\(exit 22\) curl: \(22\) The requested URL returned error: 503/);
    report('requests failed while a new backend image failed its healthcheck', failing);
    expect(failing.failed).toBe(0);
    expect(Object.keys(failing.versions)).toEqual(['2']);
    // replica 2 was never started (replica 1 went first), and the old ones still ran
    for (const n of ['e2e-backend-1', 'e2e-backend-2']) expect(running, n).toContain(before[n].id);
    expect(good.code, good.output.slice(-3000)).toBe(0);
    report('requests failed while the good image replaced the failed update', { sent: counts.sent - failing.sent, failed: counts.failed - failing.failed, clientBlockedMs: counts.stalledMs });
    expect(counts.failures).toEqual([]);
    expect(counts.failed).toBe(0);
    const runs = runsOf(parseEvents(fs.readFileSync(log, 'utf8')));
    // the deposed old replica 1, the failed new replica 1 and the old replica 2
    expect(runs.map((x) => gatedRemovals(x).get('backend') ?? 0).reduce((a, b) => a + b, 0)).toBe(3);
    expect(runs.flatMap(removalsBeforeDrain)).toEqual([]);
    expect(tofu('plan', '-detailed-exitcode', '-input=false', '-no-color').status).toBe(0);
    expect(containers().filter((c) => c.replica.startsWith('e2e-backend-')).map((c) => c.state)).toEqual(['running', 'running']);
    expect((await probe()).body.version).toBe('2');
  });

  it('keeps Postgres rows when the Postgres container is replaced', async () => {
    psql("create table if not exists survivors (note text); insert into survivors values ('written before replacement')");
    const before = byName()['e2e-db-1'].id;
    const r = await deploy({ backendTag: '2', dbTag: '17-r2' });
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(byName()['e2e-db-1'].id).not.toBe(before);
    expect(psql('select note from survivors')).toBe('written before replacement');
  });

  it('fails the deploy with the job name when the one-shot job fails, leaving the running stack untouched', async () => {
    const before = byName();
    const r = await deploy({ backendTag: '1', dbTag: '17-r2', prestartFail: true });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('one-shot job "prestart" of environment "e2e" failed');
    const after = byName();
    for (const n of ['e2e-backend-1', 'e2e-backend-2', 'e2e-orchestrator-1', 'e2e-db-1']) expect(after[n].id, n).toBe(before[n].id);
    expect((await probe()).body.version).toBe('2'); // the new backend tag was not rolled out
  });

  it('converges when an apply is killed midway and deploys again', async () => {
    // kill the whole deploy (cdktf and tofu, SIGKILL: no clean-up) while the job container runs
    let pid = 0;
    let killedAt = '';
    const first = deploy({ backendTag: '1', dbTag: '17-r2', prestartSeconds: 6 }, {
      onStart: (p) => (pid = p),
      onOutput: (out) => {
        if (!killedAt && /docker_container\.svc_prestart_1: Creating/.test(out)) {
          killedAt = 'while the prestart job ran';
          setTimeout(() => process.kill(-pid, 'SIGKILL'), 2500); // the job sleeps 6 s
        }
      },
    });
    const killed = await first;
    expect(killedAt).toBe('while the prestart job ran');
    expect(killed.code).not.toBe(0);
    const again = await deploy({ backendTag: '1', dbTag: '17-r2' });
    expect(again.code, again.output.slice(-3000)).toBe(0);
    // the killed run could not release its deploy lock; this run sees its process gone and takes it over
    expect(again.output).toMatch(/took over the deploy lock of e2e held by .*: its run \(pid \d+ on this machine\) ended without releasing it/);
    expect(tofu('plan', '-detailed-exitcode', '-input=false', '-no-color').status).toBe(0);
    expect((await probe()).body.version).toBe('1');
  });

  it('destroy refuses protected volumes; down removes containers and networks but keeps data; --volumes deletes it', async () => {
    const refused = tofu('destroy', '-auto-approve', '-input=false', '-no-color');
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/prevent_destroy/);
    expect(containers().filter((c) => c.state === 'running').length).toBeGreaterThan(5);

    const down = run('bash', ['scripts/down.sh', ENV]);
    expect(down.status, down.stdout + down.stderr).toBe(0);
    expect(containers()).toEqual([]);
    expect(docker('network', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`${ENV}-`))).toEqual([]);
    const volumes = docker('volume', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`${ENV}-`)).sort();
    expect(volumes).toEqual(['e2e-db-data', 'e2e-redis-data']);

    // the next deploy adopts the kept volumes: the data is still there
    const up = await deploy({ backendTag: '1', dbTag: '17-r2' });
    expect(up.code, up.output.slice(-3000)).toBe(0);
    expect(psql('select note from survivors')).toBe('written before replacement');

    const gone = run('bash', ['scripts/down.sh', ENV, '--volumes', '--yes']);
    expect(gone.status, gone.stdout + gone.stderr).toBe(0);
    expect(docker('volume', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(`${ENV}-`))).toEqual([]);
  });
});
