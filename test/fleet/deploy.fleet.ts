/**
 * The `fleet` environment (test/fleet/environments/fleet.yaml) deployed for real to three Docker
 * hosts over ssh:// (scripts/fleet.sh): placement asked of each host's own engine, images pulled
 * from the fleet's registry with the environment's credentials, a second deploy that changes
 * nothing, and an unreachable host that fails the deploy quickly while core keeps serving.
 * Tests run in order; each builds on the state the previous one left.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containers, deploy, dockerOn, ENV, fleet, fleetCommand, placements, probe, report, SECRETS, STATE_FILE, stackyard, steadyTraffic, tofu,
} from './fleet';

const noCanary = (text: string, where: string) => {
  for (const c of Object.values(SECRETS)) expect(text.includes(c), `${where} contains a secret value`).toBe(false);
  const registryPassword = fs.readFileSync(fleet().registry.passwordFile, 'utf8').trim();
  expect(text.includes(registryPassword), `${where} contains the registry password`).toBe(false);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keep = process.env.STACKYARD_FLEET_KEEP === '1';

// the fleet is up (test/fleet/setup.ts); this environment starts from nothing
beforeAll(() => {
  if (process.env.STACKYARD_FLEET_REUSE !== '1') fs.rmSync(STATE_FILE, { force: true });
});

// leaves the fleet as it found it: every host answering, this environment removed (its ports are
// free for the next file)
afterAll(async () => {
  fleetCommand('ssh-start', 'worker-2');
  if (keep) return;
  const r = await stackyard('down', ENV, '--yes');
  if (r.code !== 0) throw new Error(`stackyard down ${ENV} failed: ${r.output.slice(-2000)}`);
});

describe('the fleet environment on three hosts over ssh', () => {
  it('deploys from empty over ssh://, no secret in the output', async () => {
    const r = await deploy();
    expect(r.code, r.output.slice(-4000)).toBe(0);
    report('first deploy to the fleet seconds', r.seconds);
    noCanary(r.output, 'deploy output');
  });

  it('runs every container on the host the file names, healthy (asked of each host engine over its own socket)', () => {
    const want = placements();
    const got = containers();
    expect(Object.fromEntries(got.map((c) => [c.replica, c.host]))).toEqual(want);
    // the file spreads the environment over all three hosts
    expect(new Set(Object.values(want))).toEqual(new Set(Object.keys(fleet().hosts)));
    for (const c of got) {
      if (c.replica === `${ENV}-prestart-1`) expect([c.state, c.exitCode]).toEqual(['exited', 0]);
      else {
        expect(c.state, `${c.name} on ${c.host}`).toBe('running');
        if (c.health) expect(c.health, `${c.name} on ${c.host}`).toBe('healthy');
      }
    }
    for (const n of ['db', 'redis', 'backend', 'orchestrator', 'proxy']) {
      expect(got.find((c) => c.replica === `${ENV}-${n}-1`)?.health, n).toBe('healthy');
    }
  });

  it('pulled every image from the fleet registry', () => {
    const registry = fleet().registry.address;
    for (const c of containers()) {
      // the provider runs containers by image id; that image's names and digests tell where it came from
      const [tags, digests] = JSON.parse(dockerOn(c.host, 'image', 'inspect', '--format', '[{{json .RepoTags}},{{json .RepoDigests}}]', c.imageId));
      expect(tags.length, `${c.name} on ${c.host}: ${tags}`).toBeGreaterThan(0);
      for (const t of tags) expect(t.startsWith(`${registry}/`), `${c.name} on ${c.host}: ${t}`).toBe(true);
      // a registry digest is recorded only for a pulled image (nothing was loaded by hand)
      expect(digests.some((d: string) => d.startsWith(`${registry}/`) && d.includes('@sha256:')), `${c.name} on ${c.host}: ${digests}`).toBe(true);
    }
  });

  it('routes through the proxy on core to both backend replicas; the workers on other hosts reach Redis on core', async () => {
    const t0 = Date.now();
    const seen = new Set<string>();
    while (seen.size < 2 && Date.now() - t0 < 60_000) {
      const r = await probe();
      if (r.ok) seen.add(r.body.replica);
      else await sleep(250);
    }
    expect([...seen].sort()).toEqual([`${ENV}-backend-1`, `${ENV}-backend-2`]);
    // each worker writes heartbeat:<its name> to Redis every 5 s, across the bridge
    const password = SECRETS.REDIS_PASSWORD;
    let keys: string[] = [];
    const t1 = Date.now();
    while (Date.now() - t1 < 30_000) {
      keys = dockerOn('core', 'exec', '-e', `REDISCLI_AUTH=${password}`, `${ENV}-redis-1`, 'redis-cli', '--no-auth-warning', 'keys', 'heartbeat:*').split('\n').sort();
      if (keys.length >= 2) break;
      await sleep(1000);
    }
    expect(keys).toEqual([`heartbeat:${ENV}-celery-worker-1`, `heartbeat:${ENV}-watcher-1`]);
  });

  it('plans no change on a second deploy', async () => {
    const r = await deploy();
    expect(r.code, r.output.slice(-4000)).toBe(0);
    report('no-change deploy to the fleet seconds', r.seconds);
    const p = tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout + p.stderr).toBe(0);
  });

  it('fails within a bounded time naming worker-2 when its sshd is down, while core keeps serving', async () => {
    fleetCommand('ssh-stop', 'worker-2');
    const traffic = steadyTraffic();
    const r = await deploy(300_000);
    const counts = await traffic.stop();
    expect(r.code, r.output.slice(-4000)).not.toBe(0);
    expect(r.output).toMatch(/worker-2/);
    report('deploy with worker-2 unreachable: seconds until it failed', r.seconds);
    expect(r.seconds).toBeLessThan(120);
    report('requests through the proxy on core while the deploy failed', counts);
    expect(counts.sent).toBeGreaterThan(0);
    expect(counts.failed).toBe(0);
    // what runs on the reachable hosts was left alone
    for (const c of containers().filter((x) => x.host !== 'worker-2' && x.replica !== `${ENV}-prestart-1`)) expect(c.state, c.name).toBe('running');
  });

  it('converges once worker-2 answers again', async () => {
    fleetCommand('ssh-start', 'worker-2');
    const r = await deploy();
    expect(r.code, r.output.slice(-4000)).toBe(0);
    report('deploy after worker-2 came back seconds', r.seconds);
    const p = tofu('plan', '-detailed-exitcode', '-input=false', '-no-color');
    expect(p.status, p.stdout + p.stderr).toBe(0);
    expect(Object.fromEntries(containers().map((c) => [c.replica, c.host]))).toEqual(placements());
  });
});
