/**
 * The property that catches silently dropped fields: every key of every kind's schema (and every
 * key of the objects inside it), set to a distinctive valid value, either changes the synthesized
 * output or is refused with a position inside that service's entry. No kind is named here: keys
 * and values come from the schemas in the registry; only references to other services of the
 * fixture (uses: [db], a declared secret...) are picked by key name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KINDS } from '../constructs/index';
import { buildEnvironment } from '../lib/build';
import { ConfigError } from '../lib/config/errors';
import { loadEnvironment } from '../lib/config/load';
import { kindNamed } from '../lib/registry';
import { dockerReach } from '../lib/docker/reach';
import { EnvironmentStack } from '../lib/environment-stack';
import type { Service } from '../lib/service';
import { tempDir } from './helpers';

type Def = { type: string; innerType?: z.ZodType; defaultValue?: unknown; shape?: Record<string, z.ZodType>; element?: z.ZodType; keyType?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[]; entries?: Record<string, string>; values?: unknown[] };
const def = (s: z.ZodType) => (s as unknown as { def: Def }).def;

/** The schema without optional/default wrappers, and its default. */
function unwrap(s: z.ZodType): { inner: z.ZodType; dflt?: unknown } {
  let dflt: unknown;
  for (;;) {
    const d = def(s);
    if (d.type === 'default') { dflt ??= typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue; s = d.innerType!; }
    else if (d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') s = d.innerType!;
    else return { inner: s, dflt };
  }
}

/** The object alternative of a union (a port's { container, publish, bind }), if it has one. */
function objectOption(s: z.ZodType): z.ZodType | undefined {
  const d = def(unwrap(s).inner);
  return d.type === 'union' ? d.options!.map((o) => unwrap(o).inner).find((o) => def(o).type === 'object') : undefined;
}

/** Candidates of the minimal entry (0) and of the variants (1): a variant's value always differs from the base's. */
const STRINGS = [
  ['zq7x', '/zq7x', 'ZQ7X', '17s', '97m', '10.9.8.7', 'https://zq7x.example.com/hook', 'zq7x@example.com', 'Host(`zq7x.example.com`)'],
  ['zr8y', '/zr8y', 'ZR8Y', '19s', '99m', '10.9.8.6', 'https://zr8y.example.com/hook', 'zr8y@example.com', 'Host(`zr8y.example.com`)'],
];
const NUMBERS = [[7, 37, 4321, 0.25], [9, 39, 4322, 0.5]];

/** References to the fixture's other services and secrets, by key name (the only knowledge of the fixture). */
const REFERENCES: Record<string, unknown> = {
  host: 'edge', uses: ['cache', 'db'], schedule: '0 4 * * *', port: 8000, after: ['prestart'], dependsOn: { prestart: 'completed' }, mounts: { shared: '/mnt/zq7x' },
  secrets: ['S2'], password: 'S2', adminPassword: 'S2', database: 'db2', nfsVolume: 'shared', scrape: [],
  registerWith: 'mon', hosts: { edge: 2 }, defaultReceiver: 'ops', receivers: { ops: 'https://zq7x.example.com/hook', other: 'https://b.example.com/' },
  routes: [{ match: { severity: 'zq7x' }, receiver: 'ops' }], entrypoints: undefined, tracing: true, app: 'zq7x.worker',
};

/** A valid value of the schema that differs from its default. */
function sample(schema: z.ZodType, alt: 0 | 1 = 1): unknown {
  const { inner, dflt } = unwrap(schema);
  const d = def(inner);
  const ok = (v: unknown) => inner.safeParse(v).success && JSON.stringify(v) !== JSON.stringify(dflt);
  switch (d.type) {
    case 'string': return STRINGS[alt].find(ok) ?? fail(`no sample string for ${JSON.stringify(z.toJSONSchema(inner))}`);
    case 'number': return NUMBERS[alt].find(ok) ?? fail('no sample number');
    case 'boolean': return dflt === undefined ? true : !dflt;
    case 'enum': return Object.values(d.entries!).find(ok);
    case 'literal': return d.values![0];
    case 'array': return [sample(d.element!, alt)];
    case 'record': return { [sample(d.keyType!, alt) as string]: sample(d.valueType!, alt) };
    case 'union': return sample(d.options![0], alt);
    case 'object': return Object.fromEntries(Object.entries(d.shape!).filter(([, v]) => !v.safeParse(undefined).success).map(([k, v]) => [k, sample(v, alt)]));
    default: return fail(`no sample for a ${d.type}`);
  }
}
function fail(message: string): never {
  throw new Error(message);
}

/** The smallest valid entry of a kind: its required keys, a port and a broker where it has them. */
function minimal(schema: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (k === 'kind' || v.safeParse(undefined).success) continue;
    out[k] = k === 'hosts' ? { main: 1 } : k in REFERENCES && REFERENCES[k] !== undefined && k !== 'schedule' ? REFERENCES[k] : k === 'schedule' ? '0 5 * * *' : sample(v, 0);
  }
  if ('port' in schema.shape) out.port = 7000;
  if ('uses' in schema.shape) out.uses = ['cache'];
  if ('host' in schema.shape) out.host = 'main';
  return out;
}

/** Every key, and every key of the objects inside (one level: objects, map values, list items), with a distinctive value. */
function variants(schema: z.ZodObject, base: Record<string, unknown>): { key: string; value: Record<string, unknown>; against?: Record<string, unknown> }[] {
  const out: { key: string; value: Record<string, unknown>; against?: Record<string, unknown> }[] = [];
  for (const [k, v] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (k === 'kind') continue;
    const { inner } = unwrap(v);
    // a list whose items may be objects (a secret's { name, as }, an alert route): every optional key of the item too
    const element = def(inner).type === 'array' ? def(inner).element! : undefined;
    const item = element && (def(unwrap(element).inner).type === 'object' ? unwrap(element).inner : objectOption(element));
    if (item) {
      const whole = { ...(sample(item, 0) as Record<string, unknown>) };
      const ref = REFERENCES[k];
      // the item's required keys keep the fixture's reference (a declared secret's name)
      if (Array.isArray(ref) && typeof ref[0] === 'string' && 'name' in def(item).shape!) whole.name = ref[0];
      else if (Array.isArray(ref) && ref[0] && typeof ref[0] === 'object') Object.assign(whole, ref[0]);
      for (const [nk, nv] of Object.entries(def(item).shape!)) {
        if (!nv.safeParse(undefined).success) continue;
        out.push({ key: `${k}[].${nk}`, value: { ...base, [k]: [{ ...whole, [nk]: sample(nv) }] }, against: { ...base, [k]: [whole] } });
      }
    }
    if (k in REFERENCES && REFERENCES[k] !== undefined && !(k === 'host' && !('host' in schema.shape))) {
      if (JSON.stringify(base[k]) !== JSON.stringify(REFERENCES[k])) out.push({ key: k, value: { ...base, [k]: REFERENCES[k] } });
      continue;
    }
    if (def(inner).type === 'object') {
      const whole = sample(inner, 0) as Record<string, unknown>;
      // a nested key is compared with the object holding only its required keys
      for (const [nk, nv] of Object.entries(def(inner).shape!)) out.push({ key: `${k}.${nk}`, value: { ...base, [k]: { ...whole, [nk]: sample(nv) } }, against: { ...base, [k]: whole } });
    } else {
      out.push({ key: k, value: { ...base, [k]: sample(v) } });
      // a map whose values may be objects (a port's { container, publish, bind }): every key of that object too
      const obj = def(inner).type === 'record' ? objectOption(def(inner).valueType!) : undefined;
      if (obj) {
        const name = sample(def(inner).keyType!, 0) as string;
        const whole = sample(obj, 0) as Record<string, unknown>;
        for (const [nk, nv] of Object.entries(def(obj).shape!)) out.push({ key: `${k}.${name}.${nk}`, value: { ...base, [k]: { [name]: { ...whole, [nk]: sample(nv) } } }, against: { ...base, [k]: { [name]: whole } } });
      }
    }
  }
  return out;
}

/** The other services every variant can refer to. */
const FIXTURE = {
  name: 'prop',
  hosts: { main: { docker: 'unix:///var/run/docker.sock', address: '10.0.0.1' }, edge: { docker: 'ssh://deploy@edge.example.com:22', address: '10.0.0.2' } },
  secrets: ['DB_PASSWORD', 'S1', 'S2'],
  nfs: { shared: { server: 'files' } },
  services: {
    db: { kind: 'postgres', host: 'main', password: 'DB_PASSWORD', publish: 5432, bind: '0.0.0.0' },
    db2: { kind: 'postgres', host: 'main', password: 'DB_PASSWORD' },
    cache: { kind: 'redis', host: 'main', password: 'S1' },
    prestart: { kind: 'job', host: 'main', image: 'x/app', tag: '1', command: ['migrate'] },
    mon: { kind: 'service', host: 'main', image: 'x/mon', tag: '1', port: 8080, ports: { metrics: { container: 9100, publish: 9100, bind: '0.0.0.0' } } },
    tracer: { kind: 'jaeger', host: 'main', uiPort: 16000, otlpPort: 4317, bind: '0.0.0.0' },
    files: { kind: 'nfs-server', host: 'main', publish: 2050, bind: '0.0.0.0' },
    proxy: { kind: 'traefik', host: 'main', entrypoints: { web: 8001 } },
  },
};

/** What the targets read of a Service (Kubernetes renders unpublished ports, which Docker needs no resource for). */
function model(s: Service) {
  const files = s.files.map((f) => ({ path: f.path, mode: f.mode, content: typeof f.content === 'function' ? f.content(dockerReach(EnvironmentStack.of(s))) : f.content }));
  const { serviceName, host, kind, image, command, entrypoint, replicas, singleton, oneShot, cpus, memoryMb, stateful, privileged, schedule, labels, stopGraceSeconds, stopSignal, secretsOwner, healthcheck } = s;
  return { serviceName, host, kind, image, command, entrypoint, replicas, singleton, oneShot, cpus, memoryMb, stateful, privileged, schedule, labels, stopGraceSeconds, stopSignal, secretsOwner, healthcheck,
    env: [...s.env], secrets: s.secrets, files, ports: s.ports, routes: s.routes, volumes: s.volumes, binds: s.bindMounts, nfs: s.nfsMounts, deps: s.dependencies.map((d) => [d.service.serviceName, d.condition]) };
}

/** Synthesized JSON of the fixture plus `entry` as service `x`, or the positioned problems. */
function outcome(dir: string, entry: Record<string, unknown>, n: number): { json?: string; problems?: { path: string; line: number }[]; built?: { kind: string; stateful: boolean }[] } {
  const file = path.join(dir, `v${n}.yaml`);
  const subject = Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined));
  // one environment name for every outcome: names and the hashes made from them (a revision's
  // triggers) must be equal when the entry adds nothing, or no dropped field could be seen
  fs.writeFileSync(file, JSON.stringify({ ...FIXTURE, services: { ...FIXTURE.services, x: subject } }, null, 1));
  try {
    const app = new App({ outdir: path.join(dir, 'out'), stackTraces: false });
    const stack = buildEnvironment(app, loadEnvironment(file));
    const built = stack.services.filter((s) => s.node.path.startsWith(`${stack.node.path}/x/`)).map((s) => ({ kind: s.kind, stateful: s.stateful }));
    return { json: JSON.stringify(stack.toTerraform()) + JSON.stringify(stack.services.map(model)), built };
  } catch (e) {
    if (e instanceof ConfigError) return { problems: e.problems.map((p) => ({ path: p.path, line: p.line })) };
    throw e;
  }
}

describe('every schema key of every kind reaches the output or is refused with a position', () => {
  const dir = tempDir('stackyard-kind-fields-');
  let n = 0;
  for (const kind of KINDS) {
    it(kind.kind, () => {
      const schema = kind.schema as unknown as z.ZodObject;
      const base = { kind: kind.kind, ...minimal(schema) };
      const baseline = outcome(dir, base, n++);
      expect(baseline.problems, `the minimal ${kind.kind} entry is valid`).toBeUndefined();
      // the Services it builds are labelled with a kind that declares what they are: plans know
      // a stateful container only by its kind label (a postgres-backup runs as a scheduled-job)
      expect(baseline.built!.length).toBeGreaterThan(0);
      for (const b of baseline.built!) expect({ ...b, labelled: kindNamed(b.kind)?.stateful === true }).toEqual({ ...b, labelled: b.stateful });
      if (kind.stateful) expect(baseline.built!.some((b) => b.kind === kind.kind && b.stateful)).toBe(true);
      const dropped: string[] = [];
      const baselines = new Map<string, ReturnType<typeof outcome>>();
      for (const { key, value, against } of variants(schema, base)) {
        const r = outcome(dir, value, n++);
        const before = against ? (baselines.get(JSON.stringify(against)) ?? outcome(dir, against, n++)) : baseline;
        if (against) baselines.set(JSON.stringify(against), before);
        const refused = r.problems?.some((p) => p.line > 0 && (p.path === 'services.x' || p.path.startsWith('services.x.')));
        if (r.problems && !refused) dropped.push(`${key}: refused without a position in services.x (${r.problems.map((p) => p.path).join(', ')})`);
        if (r.json !== undefined && r.json === before.json) dropped.push(`${key}: accepted but the output did not change`);
      }
      expect(dropped).toEqual([]);
    });
  }
});
