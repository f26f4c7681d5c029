/**
 * The minio kind: added as one file (constructs/minio.ts), with nothing else naming it. The
 * official image's interface, a protected volume, a health check, the password only as a file,
 * and a data-loss warning in plans, from its own declaration.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Minio, MINIO_TAG } from '../../constructs/minio';
import { WebService } from '../../constructs/web-service';
import { parsePlan, renderSummary } from '../../lib/plan/summary';
import { synthDiff } from '../../lib/plan/synth-diff';
import { errors, synth, tempDir, writeFiles } from '../helpers';
import { synthKubernetes } from '../../scripts/synth-k8s';
import { dockerStack } from './harness';

const ENV = (extra = '') => `name: obj
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [MINIO_PASSWORD]
services:
  store: { kind: minio, password: MINIO_PASSWORD${extra} }
  api: { kind: service, image: ghcr.io/acme/api, tag: "1.0", uses: [store] }
`;

/** A `tofu show -json` plan doing `actions` to resources of a synthesized stack. */
function plan(json: any, actions: Record<string, string[]>): string {
  const resource_changes = Object.entries(actions).map(([address, acts]) => {
    const [type, name] = address.split('.');
    const { ['//']: _meta, lifecycle: _l, depends_on: _d, provider: _p, ...values } = json.resource[type][name];
    const before = { ...values, id: 'x' };
    const after = acts.includes('create') ? values : null;
    return { address, mode: 'managed', type, name, change: { actions: acts, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } };
  });
  return JSON.stringify({ format_version: '1.2', resource_changes, configuration: { provider_config: { 'docker.main': { alias: 'main' } }, root_module: { resources: [] } } });
}

describe('Minio', () => {
  it('runs the official image as its docs do: server /data with the console on 9001, root user and password file', () => {
    const { containers, json, problems } = dockerStack((s) => new Minio(s, 'store', { host: 'main', password: 'MINIO_PASSWORD' }), { secrets: ['MINIO_PASSWORD'] });
    expect(problems).toEqual([]);
    const c = containers.svc_store_1;
    expect(json.resource.docker_image[Object.keys(json.resource.docker_image)[0]].name).toBe(`minio/minio:${MINIO_TAG}`);
    expect(c.command).toEqual(['server', '/data', '--console-address', ':9001']);
    expect(c.env).toEqual(expect.arrayContaining(['MINIO_ROOT_USER=minio', 'MINIO_ROOT_PASSWORD_FILE=/run/secrets/MINIO_PASSWORD']));
    expect(c.upload).toContainEqual(expect.objectContaining({ file: '/run/secrets/MINIO_PASSWORD', content: '${var.MINIO_PASSWORD}', permissions: '0400' }));
    // the password is only ever the uploaded file: no env value, no command-line argument
    expect(JSON.stringify([c.env, c.command, c.entrypoint, c.healthcheck, c.labels])).not.toContain('var.MINIO_PASSWORD');
    expect(c.env.some((e: string) => e.startsWith('MINIO_ROOT_PASSWORD='))).toBe(false);
  });

  it('keeps objects in a protected volume and waits for /minio/health/live on 9000', () => {
    const { containers, json } = dockerStack((s) => new Minio(s, 'store', { host: 'main', password: 'MINIO_PASSWORD' }), { secrets: ['MINIO_PASSWORD'] });
    const vol = json.resource.docker_volume.volume_store_data;
    expect(vol.lifecycle).toEqual({ prevent_destroy: true });
    expect(containers.svc_store_1.volumes).toEqual([{ container_path: '/data', volume_name: '${docker_volume.volume_store_data.name}' }]);
    const hc = containers.svc_store_1.healthcheck;
    expect(hc.test.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
    expect(hc.test[3]).toContain('/dev/tcp/127.0.0.1/9000');
    expect(hc.test[3]).toContain('GET /minio/health/live ');
    expect(hc.test[3]).toContain('" 200 "');
    expect(containers.svc_store_1.wait).toBe(true);
    // asked every 5 s, given 10 s to start and 10 tries: under a minute to healthy or failed
    expect([hc.interval, hc.timeout, hc.start_period, hc.retries]).toEqual(['5s', '5s', '10s', 10]);
    // a data service: stopped first and given the stateful grace period
    expect(containers.svc_store_1.destroy_grace_seconds).toBe(60);
  });

  it('is reached by `uses:` on its API port, with the secret key as a file, after it is healthy', () => {
    const env = synth({ 'obj.yaml': ENV() }).obj;
    const api = env.resource.docker_container.svc_api_1;
    expect(api.env).toEqual(expect.arrayContaining(['S3_ENDPOINT=http://store:9000', 'S3_ACCESS_KEY_ID=minio', 'S3_SECRET_ACCESS_KEY_FILE=/run/secrets/MINIO_PASSWORD']));
    expect(api.depends_on).toContain('docker_container.svc_store_1');
    expect(JSON.stringify(env)).not.toMatch(/MINIO_ROOT_PASSWORD=|S3_SECRET_ACCESS_KEY=/);
    // the wait is for health, not for the container to start
    let api2: WebService | undefined;
    dockerStack((st) => {
      const store = new Minio(st, 'store', { host: 'main', password: 'MINIO_PASSWORD' });
      api2 = new WebService(st, 'api', { host: 'main', image: 'x/api:1', port: 8000 }).uses(store);
    }, { secrets: ['MINIO_PASSWORD'] });
    expect(api2!.service.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['store', 'healthy']]);
  });

  it('refuses what its schema refuses, with the position', () => {
    expect(errors({ 'obj.yaml': ENV(', user: ab') })[0]).toMatch(/^obj\.yaml:6:\d+ services\.store\.user: a MinIO root user is 3 to 64/);
    expect(errors({ 'obj.yaml': ENV().replace('password: MINIO_PASSWORD', 'password: MISSING') })[0]).toMatch(/^obj\.yaml:6:\d+ services\.store(\.\w+)?: .*secret MISSING, which is not declared/);
    expect(errors({ 'obj.yaml': ENV(', bind: 0.0.0.0') })[0]).toMatch(/^obj\.yaml:6:\d+ services\.store\.bind: has no effect without `publish:`/);
  });

  it("plans warn that replacing it or deleting its volume loses data (the kind's own `stateful`)", () => {
    const json = synth({ 'obj.yaml': ENV() }).obj;
    for (const acts of [['delete', 'create'], ['delete']]) {
      const p = parsePlan('obj', plan(json, { 'docker_container.svc_store_1': acts, 'docker_volume.volume_store_data': acts, 'docker_container.svc_api_1': acts }));
      expect(p.changes.filter((c) => c.dataLoss).map((c) => c.address).sort()).toEqual(['docker_container.svc_store_1', 'docker_volume.volume_store_data']);
      const summary = renderSummary([p]);
      expect(summary.dataLoss).toBe(true);
      expect(summary.markdown).toContain('of minio `store` on main');
    }
  });

  it('a fork pull request that removes it is flagged as data loss too (synth diff)', () => {
    const base = writeFiles({ 'obj.yaml': ENV() });
    const head = writeFiles({ 'obj.yaml': ENV().replace(/ {2}store:.*\n/, '').replace(', uses: [store]', '') });
    const out = (dir: string) => {
      const o = path.join(tempDir('stackyard-minio-diff-'), 'stacks', 'obj');
      fs.mkdirSync(o, { recursive: true });
      fs.writeFileSync(path.join(o, 'cdk.tf.json'), JSON.stringify(synth({ 'obj.yaml': fs.readFileSync(path.join(dir, 'obj.yaml'), 'utf8') }).obj));
      return path.dirname(path.dirname(o));
    };
    const [p] = synthDiff(out(base), out(head));
    expect(p.changes.filter((c) => c.dataLoss).map((c) => c.address).sort()).toEqual(['docker_container.svc_store_1', 'docker_volume.volume_store_data']);
  });

  it('on Kubernetes: a StatefulSet with a claim for /data, the probe, and the password from the Secret as a file', () => {
    const dir = writeFiles({ 'k.yaml': `name: objk
platform: kubernetes
kubernetes: { namespace: objk, storageClass: local-path, nodePools: { main: {} } }
secrets: [MINIO_PASSWORD]
services:
  store: { kind: minio, password: MINIO_PASSWORD }
` });
    const [file] = synthKubernetes([dir], tempDir('stackyard-minio-k8s-'));
    const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
    const sts = docs.find((d: any) => d.kind === 'StatefulSet' && d.metadata.name === 'store');
    const c = sts.spec.template.spec.containers[0];
    expect(c.args ?? c.command).toEqual(['server', '/data', '--console-address', ':9001']);
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/data', '/run/secrets/MINIO_PASSWORD']));
    expect(JSON.stringify(c.readinessProbe ?? c.livenessProbe)).toContain('/minio/health/live');
    expect(c.env).toContainEqual({ name: 'MINIO_ROOT_PASSWORD_FILE', value: '/run/secrets/MINIO_PASSWORD' });
    expect(sts.spec.volumeClaimTemplates.map((v: any) => v.spec.storageClassName)).toEqual(['local-path']);
  });
});
