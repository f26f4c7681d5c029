/**
 * The rewrite `npm run test:converge` applies to every stack before deploying it on the local
 * engine: it must change only what cannot run here (hosts, images, host ports, GitHub, NFS), and
 * keep every attribute whose read-back form the converge test is there to check.
 */
import { SECRET_VERSIONS_VARIABLE } from '../lib/deploy/secret-versions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { parseSecretsFile } from '../lib/deploy/secrets';
import { APP_IMAGE, convergeTargets, rewriteForConverge, STANDIN_IMAGE, writeConvergeEnvironment, writeConvergeSecrets } from './converge/rewrite';
import { shared, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');
/** Every target, loaded when a test first needs them (see `shared`), not while the file is collected. */
const targets = shared(() => convergeTargets(ROOT));
/** The targets' files and converge names, which name the tests; the first test checks them against `convergeTargets`. */
const EXPECTED: readonly (readonly [file: string, convergeName: string])[] = [
  ['environments/local.yaml', 'cv-local'], ['environments/production.yaml', 'cv-production'], ['environments/staging.yaml', 'cv-staging'],
  ['examples/chat-backend/production.yaml', 'cv-aomi-production'], ['examples/chat-backend/staging.yaml', 'cv-aomi-staging'],
  ['examples/market-analytics/dev.yaml', 'cv-market-dev'], ['examples/market-analytics/prod.yaml', 'cv-market-prod'],
  ['examples/oh-my-coins/local.yaml', 'cv-omc-server'], ['examples/trading-homelab/dev.yaml', 'cv-homelab-dev'], ['examples/trading-homelab/homelab.yaml', 'cv-homelab'],
];
const STAND_INS = new Set([
  `${APP_IMAGE.image}:${APP_IMAGE.tag}`, `${APP_IMAGE.image}:\${var.RELEASE_TAG}`, `${STANDIN_IMAGE.image}:${STANDIN_IMAGE.tag}`,
  'stackyard-test/postgres:17', 'stackyard-test/redis:7', 'stackyard-test/traefik:3.6', 'adminer:5', 'prom/alertmanager:stackyard-standin',
]);

function synthOne(file: string, name: string): any {
  const out = path.join(tempDir(), 'out');
  const { app } = buildApp([file], out);
  app.synth();
  return JSON.parse(fs.readFileSync(path.join(out, 'stacks', name, 'cdk.tf.json'), 'utf8'));
}

describe('converge targets', () => {
  it('are every Docker environment and example, partial and Kubernetes files left out', () => {
    expect(targets().map((t) => [t.file, t.convergeName])).toEqual(EXPECTED);
  });
});

describe.each(EXPECTED.map(([file, name], i) => [name, file, i] as const))('%s', (_name, file, i) => {
  const target = () => targets().find((t) => t.file === file)!;
  const portBase = 21000 + i * 50;
  const dir = tempDir();
  // Made by the first test that needs them (see `shared`), not while the file is collected.
  const cv = shared(() => synthOne(writeConvergeEnvironment(target(), dir, { portBase, cpuLimit: 2 }), target().convergeName));
  const original = shared(() => synthOne(path.join(ROOT, target().file), target().name));
  const containers = () => cv().resource.docker_container as Record<string, any>;
  const before = () => original().resource.docker_container as Record<string, any>;

  it('synthesizes for the one local engine, with no GitHub resource, registry login or NFS volume', () => {
    expect(Object.values(cv().provider.docker).map((p: any) => [p.alias, p.host])).toEqual([['local', 'unix:///var/run/docker.sock']]);
    expect(Object.keys(cv().provider)).not.toContain('github');
    expect(Object.keys(cv().resource).filter((r) => r.startsWith('github_'))).toEqual([]);
    expect(Object.values(cv().provider.docker).every((p: any) => !p.registry_auth)).toBe(true);
    expect(Object.keys(cv().resource.docker_volume ?? {}).filter((v) => v.startsWith('nfs_'))).toEqual([]);
    expect(cv().terraform.backend).toEqual({ local: { path: `../../../.stackyard/state/${target().convergeName}.tfstate` } });
  });

  it('gets a secrets file (mode 600, fresh random values) with exactly the variables its deploy needs', () => {
    // the secrets' versions are computed by the deploy from the values (lib/deploy/secret-versions.ts)
    const needed = Object.entries(cv().variable as Record<string, { default?: unknown }>).filter(([k, v]) => !('default' in v) && k !== SECRET_VERSIONS_VARIABLE).map(([k]) => `TF_VAR_${k}`).sort();
    const file = path.join(dir, 'secrets', `${target().convergeName}.env`);
    writeConvergeSecrets(target(), file);
    const first = parseSecretsFile(fs.readFileSync(file, 'utf8'));
    expect([...first.keys()].sort()).toEqual(needed);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    writeConvergeSecrets(target(), file);
    const second = parseSecretsFile(fs.readFileSync(file, 'utf8'));
    for (const k of needed) expect(second.get(k), k).not.toBe(first.get(k));
  });

  it('runs only local stand-in images and names everything cv-*', () => {
    const images = Object.values(cv().resource.docker_image).map((im: any) => im.name);
    expect(images.filter((n) => !STAND_INS.has(n))).toEqual([]);
    for (const c of Object.values(containers())) expect(c.name.startsWith(`${target().convergeName}-`), c.name).toBe(true);
  });

  it('publishes host ports only inside its own block', () => {
    const published = Object.values(containers()).flatMap((c) => (c.ports ?? []).map((p: any) => p.external as number));
    for (const p of published) expect(p >= portBase && p < portBase + 50, `port ${p}`).toBe(true);
    expect(new Set(published).size).toBe(published.length);
  });

  it('keeps every attribute whose read-back form must converge (limits, healthcheck timings, stops, secret files, volumes)', () => {
    const keep = (c: any) => ({
      memory: c.memory, memory_swap: c.memory_swap, cpus: c.cpus === undefined ? undefined : Math.min(Number(c.cpus), 2), restart: c.restart,
      healthcheck: c.healthcheck && { ...c.healthcheck, test: undefined }, destroy_grace_seconds: c.destroy_grace_seconds, stop_timeout: c.stop_timeout,
      stop_signal: c.stop_signal, group_add: c.group_add, upload: (c.upload ?? []).map((u: any) => [u.file, u.permissions, u.owner, u.group]),
      // NFS mounts are left out (a backup to NFS writes to its named volume instead)
      volumes: (c.volumes ?? []).some((v: any) => String(v.volume_name).startsWith('${docker_volume.nfs_')) ? 'nfs' : (c.volumes ?? []).map((v: any) => v.container_path), ports: (c.ports ?? []).map((p: any) => p.internal === undefined ? undefined : 'port'),
      timeouts: c.timeouts, wait: c.wait, must_run: c.must_run,
    });
    // per-host containers (worker pools, schedulers) are named after their host, which is now `local`;
    // pools run at most 2 replicas there, so compare what both have, by service and replica
    const hosts = [...Object.keys(target().config.hosts), 'local'].map((h) => h.replace(/[^A-Za-z0-9]+/g, '_')).sort((a, b) => b.length - a.length);
    const key = (k: string) => hosts.reduce((acc, h) => acc.replace(new RegExp(`_${h}_(\\d+)$`), '_H_$1'), k);
    const after = Object.fromEntries(Object.entries(containers()).map(([k, c]) => [key(k), keep(c)]));
    const mapped = new Set(Object.keys(before()).map(key));
    expect(Object.keys(after).filter((k) => !mapped.has(k))).toEqual([]);
    for (const [k, c] of Object.entries(before())) {
      if (!(key(k) in after)) continue;
      const was = keep(c);
      expect({ ...after[key(k)], volumes: was.volumes === 'nfs' ? 'nfs' : after[key(k)].volumes }, k).toEqual(was);
    }
  });
});

describe('rewriteForConverge', () => {
  const local = () => targets().find((t) => t.name === 'local')!;

  it('gives an HTTP service the demo app on its own port and a job the demo prestart', () => {
    const out = rewriteForConverge(local().config, { portBase: 30000, cpuLimit: 2 }) as any;
    expect(out.services.frontend).toMatchObject({ image: 'stackyard/demo-app', tag: '1', command: ['python3', '/app/app.py', 'serve'], env: { PORT: 8000 } });
    expect(out.services.prestart.command).toEqual(['python3', '/app/app.py', 'prestart']);
    expect(out.services.watcher.command).toEqual(['python3', '/app/app.py', 'worker']);
  });

  it('renumbers every published port, including defaults (Traefik entrypoints, dashboards)', () => {
    const out = rewriteForConverge(local().config, { portBase: 30000, cpuLimit: 2 }) as any;
    expect(out.services.proxy.entrypoints).toEqual({ web: 30000 });
    expect(out.services.proxy.dashboard).toEqual({ port: 30001 });
  });

  it('lowers cpus above the engine\'s count and refuses Kubernetes environments', () => {
    const prod = targets().find((t) => t.name === 'homelab')!;
    const out = rewriteForConverge(prod.config, { portBase: 30000, cpuLimit: 1 }) as any;
    expect(out.services['training-workers'].resources.cpus).toBe(1);
    expect(() => rewriteForConverge({ ...local().config, platform: 'kubernetes' }, { portBase: 30000, cpuLimit: 2 })).toThrow(/only Docker environments/);
  });
});
