/** Snapshot of every bundled environment's synthesized JSON, plus what each must contain. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { environmentFiles } from '../lib/environments';
import { shared, tempDir } from './helpers';

const root = path.resolve(__dirname, '..');

function synthDir(dir: string): Record<string, any> {
  const out = path.join(tempDir(), 'out');
  const { app, stacks } = buildApp(environmentFiles(dir), out);
  app.synth();
  return Object.fromEntries(stacks.map((s) => [s.model.environmentName, JSON.parse(fs.readFileSync(path.join(out, 'stacks', s.model.environmentName, 'cdk.tf.json'), 'utf8'))]));
}

/** The bundled environments, synthesized by the first test that needs them (see `shared`). */
const bundled = shared(() => synthDir(path.join(root, 'environments')));
const containers = (stack: any) => stack.resource.docker_container as Record<string, any>;

describe('bundled environments', () => {
  it('are cluster, local, production and staging (base.yaml is partial)', () => {
    const stacks = bundled();
    expect(Object.keys(stacks).sort()).toEqual(['cluster', 'local', 'production', 'staging']);
    // the Kubernetes environment synthesizes no Docker resource (its manifests come from npm run synth:k8s)
    expect(Object.keys(stacks.cluster.resource ?? {}).filter((k) => k.startsWith('docker'))).toEqual([]);
  });

  it.each(['local', 'staging', 'production'])('%s matches its snapshot', async (name) => {
    const stacks = bundled();
    await expect(JSON.stringify(stacks[name], null, 2) + '\n').toMatchFileSnapshot(`__snapshots__/environments/${name}.tf.json`);
  });

  it('run seed 000: two backends, one orchestrator, the prestart job before them', () => {
    const stacks = bundled();
    for (const name of ['local', 'staging']) {
      const c = containers(stacks[name]);
      expect(Object.keys(c).filter((k) => k.startsWith('svc_backend_'))).toHaveLength(2);
      expect(Object.keys(c).filter((k) => k.startsWith('svc_orchestrator_'))).toEqual(['svc_orchestrator_1']);
      expect(c.svc_backend_1.depends_on).toContain('docker_container.svc_prestart_1');
      expect(c.svc_orchestrator_1.depends_on).toContain('docker_container.svc_prestart_1');
      expect(c.svc_backend_1.env).toContain('RUN_COLLECTORS=False');
      expect(c.svc_orchestrator_1.env).toContain('RUN_COLLECTORS=True');
      // an unrouted singleton keeps its port's healthcheck, and deploys wait for it
      expect(c.svc_orchestrator_1.healthcheck.test).toEqual(['CMD', 'curl', '-fsS', '-o', '/dev/null', expect.stringMatching(/^http:\/\/localhost:8000\//)]);
      expect(c.svc_orchestrator_1.wait).toBe(true);
    }
  });

  it('give collector keys to the orchestrator only (least privilege, unlike env_file for all)', () => {
    const stacks = bundled();
    const c = containers(stacks.local);
    const holders = Object.entries(c).filter(([, v]) => (v.upload ?? []).some((u: any) => u.file === '/run/secrets/CRYPTOPANIC_API_KEY')).map(([k]) => k);
    expect(holders).toEqual(['svc_orchestrator_1']);
  });

  it('differ between staging and production in replicas, resources and pinned tags (seed 004 table)', () => {
    const stacks = bundled();
    const s = containers(stacks.staging), p = containers(stacks.production);
    expect(Object.keys(p).filter((k) => k.startsWith('svc_backend_'))).toHaveLength(3);
    expect([s.svc_db_1.memory, s.svc_db_1.cpus]).toEqual([384, '0.75']);
    expect([p.svc_db_1.memory, p.svc_db_1.cpus]).toEqual([512, '1.0']);
    expect([p.svc_redis_1.memory, p.svc_backend_1.memory]).toEqual([600, 768]);
    expect(p['svc_celery_worker_1'].memory).toBe(768);
    expect(stacks.production.resource.docker_image.image_core_ghcr_io_acme_backend_var_RELEASE_TAG.name).toBe('ghcr.io/acme/backend:${var.RELEASE_TAG}');
    expect([stacks.staging.variable.RELEASE_TAG.default, stacks.production.variable.RELEASE_TAG.default]).toEqual(['main-4f2c9e1', 'sha-4f2c9e1']);
  });

  it('have no Adminer in production and no protection on local volumes', () => {
    const stacks = bundled();
    expect(Object.keys(containers(stacks.production)).some((k) => k.startsWith('svc_adminer'))).toBe(false);
    for (const v of Object.values(stacks.local.resource.docker_volume) as any[]) expect(v.lifecycle).toBeUndefined();
    for (const v of Object.values(stacks.staging.resource.docker_volume) as any[]) expect(v.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('reach staging and production over ssh with the configured options', () => {
    const stacks = bundled();
    expect(stacks.staging.provider.docker).toEqual([
      { alias: 'core', host: 'ssh://deploy@core.staging.example.com:22', ssh_opts: ['-o', 'StrictHostKeyChecking=yes'], registry_auth: [{ address: 'ghcr.io', username: 'acme-deploy', password: '${var.GHCR_TOKEN}' }] },
    ]);
    expect(stacks.local.provider.docker).toEqual([{ alias: 'local', host: 'unix:///var/run/docker.sock' }]);
  });
});
