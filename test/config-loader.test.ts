/**
 * The environment-file loader on its own: every kind of schema issue worded and placed, the
 * `extends:` merge of values and of positions, the structure bounds (alias expansion, `__proto__`)
 * at their limits, and the file reader's refusals (lib/config/yaml-source.ts, lib/config/load.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPartialFile } from '../lib/config/load';
import { displayPath, MAX_FILE_BYTES, MAX_VALUES, mergeDocuments, parseYamlFile, positionOf, readBounded, structureProblem, type Json, type SourcedDocument } from '../lib/config/yaml-source';
import { errors, MINIMAL, tempDir, writeFiles } from './helpers';

const at = (replace: string, by: string) => ({ 'env.yaml': MINIMAL.replace(replace, by) });
const DB = '{ kind: postgres, password: DB_PASSWORD }';

describe('each kind of schema issue is worded for the operator and placed at its value', () => {
  it.each([
    ['a scalar at the top level', { 'env.yaml': 'just text\n' }, 'env.yaml:1:1 expected a mapping with `name:`, `hosts:` and `services:` at the top level'],
    ['a document that is only null', { 'env.yaml': '~\n' }, 'env.yaml:1:1 file is empty; an environment file needs at least `name:` and `services:`'],
    ['extends that is not a path', { 'env.yaml': `extends: 3\n${MINIMAL}` }, 'env.yaml:1:1 extends: expected the path of another environment file, e.g. ./base.yaml'],
    // what only the fast parser refuses (the other reads these without a problem): its reason, at its mark
    ['a YAML tag', { 'env.yaml': 'name: x\na: !custom 1\n' }, 'env.yaml:2:4 YAML error: unknown scalar tag !<!custom>'],
    ['an explicit tag that does not fit', { 'env.yaml': 'name: x\na: !!int 3.5\n' }, 'env.yaml:2:4 YAML error: cannot resolve a node with !<tag:yaml.org,2002:int> explicit tag'],
    ['a list as a key', { 'env.yaml': 'name: x\n? [a, b]\n: 1\n' }, 'env.yaml:1:1 YAML error: object-based map does not support complex keys'],
    ['a value not among those allowed', at('name: test', 'name: test\nplatform: nomad'), 'env.yaml:2:1 platform: expected one of "docker", "kubernetes", got "nomad"'],
    ['a fraction for a whole number', at('port: 8000', 'port: 8000\n    replicas: 1.5'), 'env.yaml:13:5 services.api.replicas: expected an integer, got number 1.5'],
    ['a quoted number', at('port: 8000', 'port: "80"'), 'env.yaml:12:5 services.api.port: expected a number, got "80"'],
    // placed at the `extends:` key, wherever it is, not at the top of the file
    ['extends that is not a path, below the name', at('name: test', 'name: test\nextends: [a]'), 'env.yaml:2:1 extends: expected the path of another environment file, e.g. ./base.yaml'],
    ['extends of a file that does not exist', at('name: test', 'name: test\nextends: ./nope.yaml'), 'env.yaml:2:1 extends: extends ./nope.yaml, which does not exist (looked for nope.yaml); fix the path relative to this file'],
    ['extends of a directory', { ...at('name: test', 'name: test\nextends: ./sub'), 'sub/x.yaml': 'a: 1\n' }, 'env.yaml:2:1 extends: extends ./sub, which is not a regular file (a directory); extends names another environment file (a regular YAML file of at most 1 MiB)'],
    // an unknown key lists the keys of the schema at its place, found through defaults, optionals,
    // records, lists and (discriminated) unions
    ['an unknown key in a section with a default', at('name: test', 'name: test\nscheduler: { image: "x/o:1", foo: 1 }'), 'env.yaml:2:30 scheduler.foo: unknown key; allowed here: image'],
    ['an unknown key in the pg state backend', at('name: test', 'name: test\nstate: { backend: pg, foo: 1 }'), 'env.yaml:2:23 state.foo: unknown key; allowed here: backend, encryption, schema'],
    ['an unknown key in a host', at('address: 10.0.0.1 }', 'address: 10.0.0.1, foo: 1 }'), 'env.yaml:3:69 hosts.main.foo: unknown key; allowed here: address, docker, hostKey, sshOptions, tlsCertPath'],
    ['an unknown key in a published port', at('uses: [db]', 'uses: [db]\n    ports: { metrics: { container: 9000, foo: 1 } }'), 'env.yaml:16:42 services.api.ports.metrics.foo: unknown key; allowed here: bind, container, publish'],
    ['an unknown key in a healthcheck', at('    health: /health', '    healthcheck: { test: [CMD, x], foo: 1 }'), 'env.yaml:13:36 services.api.healthcheck.foo: unknown key; allowed here: interval, retries, startPeriod, test, timeout'],
    ['an unknown key in resources', at(DB, '{ kind: postgres, password: DB_PASSWORD, resources: { cpus: 1, foo: 1 } }'), 'env.yaml:7:70 services.db.resources.foo: unknown key; allowed here: cpus, memory'],
    ['an empty string', at('image: ghcr.io/acme/api', 'image: ""'), 'env.yaml:10:5 services.api.image: must not be empty'],
    ['a boolean for a string', at('tag: "1.0"', 'tag: true'), 'env.yaml:11:5 services.api.tag: expected a string, got boolean true; quote it: "true"'],
    ['null for a string', at('tag: "1.0"', 'tag: ~'), 'env.yaml:11:5 services.api.tag: expected a string, got an empty value'],
    ['an exclusive minimum', at(DB, '{ kind: postgres, password: DB_PASSWORD, resources: { cpus: 0 } }'), 'env.yaml:7:61 services.db.resources.cpus: must be more than 0, got number 0'],
    ['an inclusive maximum', at('port: 8000', 'port: 70000'), 'env.yaml:12:5 services.api.port: must be at most 65535, got number 70000'],
    ['an empty list where one item is needed', at('name: test', 'name: test\ngithub: { owner: acme, repository: p, branches: [] }'), 'env.yaml:2:39 github.branches: needs at least 1 item(s)'],
    ['a bad name as a mapping key', at('uses: [db]', 'uses: [db]\n    env: { "1x": a }'), 'env.yaml:16:12 services.api.env.1x: invalid name "1x": an environment variable name'],
    ['a list for a mapping', at('uses: [db]', 'uses: [db]\n    env: [a]'), 'env.yaml:16:5 services.api.env: expected a mapping, got a list'],
    ['a mapping for a list', at('uses: [db]', 'uses: { db: 1 }'), 'env.yaml:15:5 services.api.uses: expected a list, got a mapping'],
    ['a port that is neither form', at('uses: [db]', 'uses: [db]\n    ports: { metrics: true }'), 'env.yaml:16:14 services.api.ports.metrics: expected a port number or { container, publish }, got boolean true'],
    ['a secret that is neither form', at('secrets: [JWT_SECRET]', 'secrets: [true]'), 'env.yaml:16:15 services.api.secrets.0: expected a secret name or { name, as: file | env }, got boolean true'],
    ['a healthcheck test that is neither form', at('    health: /health', '    healthcheck: { test: 5 }'), 'env.yaml:13:20 services.api.healthcheck.test: expected a different kind of value, got number 5'],
    ['an unknown key inside a list item', at('secrets: [JWT_SECRET]', 'secrets: [{ name: JWT_SECRET, mode: file }]'), 'env.yaml:16:35 services.api.secrets.0.mode: unknown key; allowed here: as, name'],
    ['an unknown key with no near name', at('uses: [db]', 'uses: [db]\n    zzzzzzzz: 1'), 'env.yaml:16:5 services.api.zzzzzzzz: unknown key; allowed here: after, command, dependsOn, entrypoint, entrypoints, env, health, healthcheck, host, image, kind, labels, mounts, port, ports, replicas, resources, route, secrets, secretsOwner, stopGracePeriod, tag, tracing, update, uses, volumes'],
    ['an unknown state backend', at('name: test', 'name: test\nstate: { backend: pgg }'), 'env.yaml:2:10 state.backend: unknown backend "pgg"; did you mean `pg`?'],
    ['an unknown state backend far from every name', at('name: test', 'name: test\nstate: { backend: gcs }'), 'env.yaml:2:10 state.backend: unknown backend "gcs"; expected one of local, pg, s3'],
    ['a state without its backend', at('name: test', 'name: test\nstate: { schema: x }'), 'env.yaml:2:1 state.backend: is required; one of local, pg, s3'],
    ['a number for a kind', at('kind: postgres', 'kind: 5'), 'env.yaml:7:9 services.db.kind: unknown kind 5; expected one of adminer, alertmanager, celery-beat, celery-worker, service, grafana, jaeger, minio, nfs-server, job, postgres-backup, postgres, prometheus, redis, scheduled-job, singleton, traefik, web, worker-pool'],
    ['an explicit key without a value', { 'env.yaml': `${MINIMAL}  ? cache\n` }, 'env.yaml:17:5 services.cache: expected a mapping, got an empty value'],
    ['memory one MiB under Docker\'s minimum', at(DB, '{ kind: postgres, password: DB_PASSWORD, resources: { memory: 5m } }'), 'env.yaml:7:61 services.db.resources.memory: is below Docker\'s minimum memory limit of 6m; give at least 6m, e.g. 512m (got "5m")'],
    ['no node pool', { 'env.yaml': 'name: k\nplatform: kubernetes\nkubernetes: { namespace: k, nodePools: {} }\nservices:\n  api: { kind: service, image: x/a, tag: "1" }\n' }, 'env.yaml:3:29 kubernetes.nodePools: declare at least one node pool'],
    ['an address for a cluster IP that is neither IPv4 nor IPv6', { 'env.yaml': 'name: k\nplatform: kubernetes\nkubernetes: { namespace: k, clusterIPs: { api: x }, nodePools: { general: {} } }\nservices:\n  api: { kind: service, image: x/a, tag: "1" }\n' }, 'env.yaml:3:43 kubernetes.clusterIPs.api: expected an IP address in the cluster\'s service range, e.g. 10.96.0.49 (got "x")'],
  ] as const)('%s', (_name, files, line) => {
    expect(errors(files as Record<string, string>)).toEqual([line]);
  });

  it('Docker\'s minimum memory itself is accepted', () => {
    expect(() => errors(at(DB, '{ kind: postgres, password: DB_PASSWORD, resources: { memory: 6m } }'))).toThrow('expected a ConfigError, but synthesis succeeded');
  });
});

describe('partial files', () => {
  it('only a mapping with `partial: true` is partial', () => {
    const dir = writeFiles({ 'p.yaml': 'partial: true\n', 'n.yaml': 'partial: false\n', 's.yaml': 'partial\n', 'l.yaml': '- partial: true\n', 'q.yaml': 'partial: "true"\n' });
    expect(['p', 'n', 's', 'l', 'q'].filter((f) => isPartialFile(path.join(dir, `${f}.yaml`)))).toEqual(['p']);
    expect(isPartialFile(path.join(dir, 'missing.yaml'))).toBe(false);
  });
});

/** A document as the loader builds it, from YAML text in a temporary file. */
function doc(name: string, text: string, dir = tempDir()): SourcedDocument {
  fs.writeFileSync(path.join(dir, name), text);
  const { doc: d, problems } = parseYamlFile(path.join(dir, name));
  expect(problems).toEqual([]);
  return d!;
}

/** Every position of a document as `path file:line:col`, sorted. */
function positions(d: SourcedDocument): string[] {
  return [...d.positions].map(([k, p]) => `${k || '(root)'} ${path.basename(p.file)}:${p.line}:${p.col}`).sort();
}

describe('extends: merging values and positions', () => {
  const dir = tempDir();
  const base = doc('base.yaml', 'a:\n  keep: 1\n  list: [1, 2, 3]\n  gone: { x: 1 }\n  swap: { y: 2 }\nb: 1\n', dir);

  it('mappings merge key by key; lists, scalars and mappings replaced by a different kind are replaced whole; null removes', () => {
    const over = doc('over.yaml', 'a:\n  list: [9]\n  gone: null\n  swap: 5\n  new: { z: 3 }\nb: { c: 1 }\nnothing: null\n', dir);
    expect(mergeDocuments(base, over).value).toEqual({ a: { keep: 1, list: [9], swap: 5, new: { z: 3 } }, b: { c: 1 }, nothing: null });
  });

  it('every path is placed where its winning value is written: the base for what is kept, the extending file for the rest', () => {
    const over = doc('over.yaml', 'a:\n  list: [9]\n  gone: null\n  swap: 5\n  new: { z: 3 }\nb: { c: 1 }\n', dir);
    expect(positions(mergeDocuments(base, over))).toEqual([
      '(root) over.yaml:1:1',
      'a over.yaml:1:1',
      'a.keep base.yaml:2:3',
      'a.list over.yaml:2:3',
      'a.list.0 over.yaml:2:10',
      'a.new over.yaml:5:3',
      'a.new.z over.yaml:5:10',
      'a.swap over.yaml:4:3',
      'b over.yaml:6:1',
      'b.c over.yaml:6:6',
    ]);
  });

  it('a whole document replaced by a non-mapping keeps only the extending file\'s positions', () => {
    const over = doc('list.yaml', '- 1\n- 2\n', dir);
    const merged = mergeDocuments(base, over);
    expect(merged.value).toEqual([1, 2]);
    expect(positions(merged)).toEqual(['(root) list.yaml:1:1', '0 list.yaml:1:3', '1 list.yaml:2:3']);
  });

  it('a path of neither file falls back to its nearest placed parent, then to the file\'s start', () => {
    const over = doc('over.yaml', 'b: 2\n', dir);
    const merged = mergeDocuments(base, over);
    expect(merged.file).toBe(over.file);
    expect(positionOf(merged, ['a', 'keep', 'deeper'])).toMatchObject({ line: 2, col: 3 });
    expect(positionOf({ file: 'f.yaml', value: {}, positions: new Map() }, ['x'])).toEqual({ file: 'f.yaml', line: 1, col: 1 });
  });
});

describe('what no file may hold, at its limits', () => {
  const list = (n: number): Json => Array.from({ length: n }, () => 0);

  it('exactly MAX_VALUES values pass; one more is refused, pointing at the smallest part that is too large', () => {
    expect(structureProblem(list(MAX_VALUES - 1))).toBeUndefined(); // the list itself counts as one
    expect(structureProblem({ a: { b: list(MAX_VALUES), c: 1 } })).toEqual({ at: ['a', 'b'], message: `expands to more than ${MAX_VALUES} values through YAML aliases (*name); write the values out or use fewer aliases` });
  });

  it('values shared through aliases are counted once per use', () => {
    const shared = list(1000);
    expect(structureProblem(Array.from({ length: 99 }, () => shared))).toBeUndefined(); // 99 × 1001 + 1
    expect(structureProblem({ x: Array.from({ length: 100 }, () => shared) })).toMatchObject({ at: ['x'] });
  });

  it('`__proto__` is found in a mapping inside a list, and only as an own key', () => {
    const bad = JSON.parse('{"services": [{"ok": 1}, {"__proto__": {}}]}') as Json;
    expect(structureProblem(bad)).toEqual({ at: ['services', 1, '__proto__'], message: '`__proto__` is not allowed as a key (JavaScript would drop it); rename it' });
    expect(structureProblem({ services: [{ proto: '__proto__' }] })).toBeUndefined();
  });
});

describe('reading a file', () => {
  it('names a file under the working directory relative to it, and any other by its full path', () => {
    expect(displayPath(path.join(process.cwd(), 'environments', 'x.yaml'))).toBe(path.join('environments', 'x.yaml'));
    expect(displayPath('/elsewhere/x.yaml')).toBe('/elsewhere/x.yaml');
    expect(displayPath(process.cwd())).toBe(process.cwd());
  });

  it('reads a regular file whole, up to 1 MiB', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'name: a\n');
    expect(readBounded(path.join(dir, 'a.yaml'))).toEqual({ text: 'name: a\n' });
    const full = 'x'.repeat(MAX_FILE_BYTES);
    fs.writeFileSync(path.join(dir, 'full.yaml'), full);
    expect(readBounded(path.join(dir, 'full.yaml'))).toEqual({ text: full });
  });

  it('refuses what the size check did not see: a file grown past 1 MiB, a pipe, a path gone', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'big.yaml'), 'x'.repeat(MAX_FILE_BYTES + 1));
    expect(readBounded(path.join(dir, 'big.yaml'))).toEqual({ why: 'is larger than 1 MiB' });
    expect(spawnSync('mkfifo', [path.join(dir, 'pipe.yaml')]).status).toBe(0);
    expect(readBounded(path.join(dir, 'pipe.yaml'))).toEqual({ why: 'is not a regular file' }); // returns at once: no writer waited for
    expect(readBounded(path.join(dir, 'gone.yaml'))).toEqual({ why: 'cannot be read (ENOENT)' });
  });

  it('parseYamlFile refuses a missing path, a directory, a device and a path through a file before opening them', () => {
    const dir = tempDir();
    const msg = (f: string) => parseYamlFile(f).problems.map((p) => `${p.line}:${p.col} ${p.message}`);
    expect(msg(path.join(dir, 'nope.yaml'))).toEqual(['0:0 file does not exist; check the path']);
    expect(msg(dir)).toEqual(['0:0 is not a regular file (a directory); an environment file is a regular YAML file of at most 1 MiB']);
    expect(msg('/dev/null')).toEqual(['0:0 is not a regular file (a device, socket or pipe); an environment file is a regular YAML file of at most 1 MiB']);
    fs.writeFileSync(path.join(dir, 'f.yaml'), 'name: f\n');
    expect(msg(path.join(dir, 'f.yaml', 'x.yaml'))).toEqual(['0:0 cannot be read (ENOTDIR); an environment file is a regular YAML file of at most 1 MiB']);
  });

  it('a changed file is parsed again; an unchanged one is not', () => {
    const dir = tempDir();
    const f = path.join(dir, 'a.yaml');
    fs.writeFileSync(f, 'name: a\n');
    const first = parseYamlFile(f);
    expect(parseYamlFile(f)).toBe(first);
    fs.writeFileSync(f, 'name: bb\n');
    expect(parseYamlFile(f).doc?.value).toEqual({ name: 'bb' });
  });

  it('a syntax error is worded by the precise parser, without its position repeated in the sentence', () => {
    const { problems } = (() => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'e.yaml'), 'a: [1, 2\nb: 3\n');
      return parseYamlFile(path.join(dir, 'e.yaml'));
    })();
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.message).toMatch(/^YAML syntax error: [^\n]+$/);
      expect(p.message).not.toMatch(/at line \d+/);
      expect(p.line).toBeGreaterThan(0);
    }
  });
});
