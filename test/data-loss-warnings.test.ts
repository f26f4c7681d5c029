/**
 * Data-loss warnings: replacing or removing a stateful service (Postgres, Redis, Prometheus,
 * Grafana, an NFS server) or removing / replacing any data volume is flagged as data loss, in the
 * plan summary (from `tofu show -json`) and in the structural diff of two synths (fork PRs).
 * The plans here are built from a real synth, so the labels are the ones stackyard writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlan, renderSummary } from '../lib/plan/summary';
import { synthDiff } from '../lib/plan/synth-diff';
import { synth, tempDir } from './helpers';

const ENV = `name: dl
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [DB_PASSWORD, REDIS_PASSWORD, GF_ADMIN_PASSWORD]
nfs:
  shared: { server: files }
services:
  proxy: { kind: traefik, entrypoints: { web: 8001 } }
  db: { kind: postgres, password: DB_PASSWORD }
  cache: { kind: redis, password: REDIS_PASSWORD }
  metrics: { kind: prometheus }
  dashboards: { kind: grafana, adminPassword: GF_ADMIN_PASSWORD }
  files: { kind: nfs-server, exportPath: /srv/x, bind: 0.0.0.0 }
  tracing: { kind: jaeger }
  api: { kind: web, image: ghcr.io/acme/api, tag: "1.0", port: 8000, route: "PathPrefix(\`/api\`)", uses: [db, cache] }
`;
/** Services whose container holds data, by the name used in ENV (independent of the code's list). */
const STATEFUL = ['cache', 'dashboards', 'db', 'files', 'metrics'];
const STATELESS = ['api', 'proxy', 'tracing'];

const stack = () => synth({ 'dl.yaml': ENV }).dl;

/** A `tofu show -json` plan with the given actions on resources of a synthesized stack. */
function plan(json: any, actions: Record<string, string[]>): string {
  const resource_changes = Object.entries(actions).map(([address, acts]) => {
    const [type, name] = address.split('.');
    const body = json.resource[type][name];
    if (!body) throw new Error(`no ${address} in the synth`);
    const { ['//']: _meta, lifecycle: _l, depends_on: _d, provider: _p, ...values } = body;
    const before = acts.includes('create') && !acts.includes('delete') ? null : { ...values, id: 'x' };
    const after = acts.includes('delete') && !acts.includes('create') ? null : { ...values, name: `${values.name}` };
    return { address, mode: 'managed', type, name, change: { actions: acts, before, after, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } };
  });
  return JSON.stringify({
    format_version: '1.2',
    resource_changes,
    configuration: { provider_config: { 'docker.main': { alias: 'main' } }, root_module: { resources: Object.keys(actions).map((address) => ({ address, provider_config_key: 'docker.main' })) } },
  });
}

const flagged = (text: string) => parsePlan('dl', text).changes.filter((c) => c.dataLoss).map((c) => c.address).sort();

describe('plan summary: data loss', () => {
  for (const [what, acts] of [['replacement', ['delete', 'create']], ['replacement (create before destroy)', ['create', 'delete']], ['removal', ['delete']]] as const) {
    it(`flags the ${what} of every stateful service's container, and of no stateless one`, () => {
      const json = stack();
      const actions = Object.fromEntries([...STATEFUL, ...STATELESS].map((s) => [`docker_container.svc_${s}_1`, [...acts]]));
      expect(flagged(plan(json, actions))).toEqual(STATEFUL.map((s) => `docker_container.svc_${s}_1`));
    });
  }

  it('flags the removal and the replacement of every data volume', () => {
    const json = stack();
    const volumes = Object.keys(json.resource.docker_volume).filter((v) => v.startsWith('volume_'));
    expect(volumes.sort()).toEqual(['volume_cache_data', 'volume_dashboards_data', 'volume_db_data', 'volume_files_export', 'volume_metrics_data']);
    for (const acts of [['delete'], ['delete', 'create']]) {
      const actions = Object.fromEntries(volumes.map((v) => [`docker_volume.${v}`, acts]));
      expect(flagged(plan(json, actions)), acts.join('+')).toEqual(volumes.map((v) => `docker_volume.${v}`).sort());
    }
  });

  it('does not flag creating a stateful service or a volume, nor updating one in place', () => {
    const json = stack();
    for (const acts of [['create'], ['update']]) {
      const actions = { 'docker_container.svc_db_1': acts, 'docker_container.svc_cache_1': acts, 'docker_volume.volume_db_data': acts };
      expect(flagged(plan(json, actions)), acts.join('+')).toEqual([]);
    }
  });

  it('the comment warns loudly about each data-loss change, and lists stateless replacements apart', () => {
    const json = stack();
    const s = renderSummary([parsePlan('dl', plan(json, {
      'docker_volume.volume_metrics_data': ['delete'],
      'docker_container.svc_cache_1': ['delete', 'create'],
      'docker_container.svc_api_1': ['delete', 'create'],
    }))]);
    expect(s.dataLoss).toBe(true);
    const caution = s.markdown.split('\n').filter((l) => l.startsWith('> '));
    expect(caution[0]).toBe('> [!CAUTION]');
    expect(caution).toContain('> - dl: replace of redis `cache` on main (`docker_container.svc_cache_1`)');
    expect(caution).toContain('> - dl: delete of docker\\_volume `metrics` on main (`docker_volume.volume_metrics_data`)');
    expect(caution.join('\n')).not.toContain('svc_api_1');
    expect(s.markdown).toContain('- dl: replace `docker_container.svc_api_1` (api on main)');
    expect(s.markdown).toContain('`-/+` replace `docker_container.svc_cache_1` **(data loss)**');
    expect(s.markdown).toContain('`-` delete `docker_volume.volume_metrics_data`: volume `dl-metrics-data` **(data loss)**');
    expect(s.markdown).not.toMatch(/svc_api_1` \*\*\(data loss\)/);
  });

  it('a plan replacing only stateless services carries no data-loss warning', () => {
    const s = renderSummary([parsePlan('dl', plan(stack(), { 'docker_container.svc_api_1': ['delete', 'create'], 'docker_container.svc_tracing_1': ['delete'] }))]);
    expect(s.dataLoss).toBe(false);
    expect(s.markdown).not.toContain('[!CAUTION]');
    expect(s.markdown).not.toContain('(data loss)');
    expect(s.markdown).toContain('**Replaced or destroyed:**');
  });
});

describe('structural diff of two synths: data loss', () => {
  /** Writes a cdktf.out-like folder with one stack per environment and returns it. */
  const out = (stacks: Record<string, any>) => {
    const dir = tempDir();
    for (const [name, json] of Object.entries(stacks)) {
      fs.mkdirSync(path.join(dir, 'stacks', name), { recursive: true });
      fs.writeFileSync(path.join(dir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json));
    }
    return dir;
  };
  const loss = (base: any, head: any) => synthDiff(out({ dl: base }), out({ dl: head }))[0].changes.filter((c) => c.dataLoss).map((c) => `${c.action} ${c.address}`).sort();

  it('removing each stateful service flags its container and its volume; removing a stateless one flags nothing', () => {
    const base = stack();
    for (const s of STATEFUL) {
      const head = structuredClone(base);
      delete head.resource.docker_container[`svc_${s}_1`];
      for (const v of Object.keys(head.resource.docker_volume)) if (v.startsWith(`volume_${s}_`)) delete head.resource.docker_volume[v];
      const expected = [`delete docker_container.svc_${s}_1`, ...Object.keys(base.resource.docker_volume).filter((v) => v.startsWith(`volume_${s}_`)).map((v) => `delete docker_volume.${v}`)];
      expect(loss(base, head), s).toEqual(expected.sort());
      expect(expected.length, `${s} has a volume`).toBe(2);
    }
    for (const s of STATELESS) {
      const head = structuredClone(base);
      delete head.resource.docker_container[`svc_${s}_1`];
      expect(loss(base, head), s).toEqual([]);
    }
  });

  it('an image change replaces a stateful container (data loss) and a stateless one (no data loss)', () => {
    const base = stack();
    const head = structuredClone(base);
    for (const s of [...STATEFUL, ...STATELESS]) head.resource.docker_container[`svc_${s}_1`].image = 'sha256:other';
    const diff = synthDiff(out({ dl: base }), out({ dl: head }))[0].changes;
    expect(diff.filter((c) => c.action === 'replace').map((c) => c.address).sort()).toEqual([...STATEFUL, ...STATELESS].map((s) => `docker_container.svc_${s}_1`).sort());
    expect(diff.filter((c) => c.dataLoss).map((c) => c.address).sort()).toEqual(STATEFUL.map((s) => `docker_container.svc_${s}_1`));
    for (const c of diff) expect(c.attributes.find((a) => a.path === 'image')?.forcesReplacement, c.address).toBe(true);
  });

  it('an in-place change of a stateful container (memory limit) is an update, not data loss', () => {
    const base = stack();
    const head = structuredClone(base);
    head.resource.docker_container.svc_db_1.memory = 2048;
    const [change] = synthDiff(out({ dl: base }), out({ dl: head }))[0].changes;
    expect(change).toMatchObject({ address: 'docker_container.svc_db_1', action: 'update', dataLoss: false, service: 'db', host: 'main', kind: 'postgres' });
    expect(change.attributes).toEqual([{ path: 'memory', before: '(none)', after: '2048', forcesReplacement: false }]);
  });

  // Was a defect: the Docker API cannot update a volume, so the provider replaces a docker_volume
  // on any change; the diff called it an update and raised no warning.
  it('a volume whose settings change is a replacement, flagged as data loss', () => {
    const base = stack();
    const head = structuredClone(base);
    head.resource.docker_volume.volume_db_data.driver = 'other';
    const changes = synthDiff(out({ dl: base }), out({ dl: head }))[0].changes;
    expect(changes.map((c) => [c.address, c.action, c.dataLoss])).toEqual([['docker_volume.volume_db_data', 'replace', true]]);
    expect(changes[0].attributes).toEqual([{ path: 'driver', before: '(none)', after: 'other', forcesReplacement: true }]);
  });
});
