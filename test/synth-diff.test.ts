/**
 * The structural diff of two synths (pull requests from forks: no secrets, no state): which
 * stacks and resources it compares, what it calls a replacement, how values are shown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { synthDiff } from '../lib/plan/synth-diff';
import { tempDir } from './helpers';

/** A cdktf.out-like folder: stacks/<name>/cdk.tf.json for each given stack (undefined: folder without the file). */
function out(stacks: Record<string, any>): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'stacks'));
  for (const [name, json] of Object.entries(stacks)) {
    fs.mkdirSync(path.join(dir, 'stacks', name));
    if (json !== undefined) fs.writeFileSync(path.join(dir, 'stacks', name, 'cdk.tf.json'), JSON.stringify(json));
  }
  return dir;
}
const labels = (service: string, kind: string, host = 'main') => [{ label: 'stackyard.host', value: host }, { label: 'stackyard.kind', value: kind }, { label: 'stackyard.service', value: service }];
const container = (service: string, kind: string, extra: object = {}) => ({ '//': { metadata: 'ignored' }, name: `e-${service}-1`, image: 'img:1', labels: labels(service, kind), provider: 'docker.main', ...extra });
const stack = (containers: Record<string, any>, extra: object = {}) => ({ resource: { docker_container: containers, ...extra } });
const diff = (base: Record<string, any>, head: Record<string, any>) => synthDiff(out(base), out(head));

describe('synth diff', () => {
  it('refuses a folder that is not a synth, naming it', () => {
    const dir = tempDir();
    try {
      synthDiff(dir, out({}));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([{ file: dir, line: 0, col: 0, path: '', message: 'has no stacks/ folder; give the cdktf.out folder of a synth' }]);
    }
  });

  it('compares every stack of either side, sorted, skipping folders without a stack file', () => {
    const same = stack({ svc_a_1: container('a', 'web') });
    const plans = diff({ zeta: same, alpha: same, empty: undefined }, { beta: same, alpha: same, zeta: same });
    expect(plans.map((p) => [p.name, p.changes.length])).toEqual([['alpha', 0], ['beta', 1], ['zeta', 0]]);
    expect(plans[1].changes.map((c) => c.action)).toEqual(['create']);
  });

  it('a stack only in the base is all deletes; one without resources compares as empty', () => {
    const [gone] = diff({ s: stack({ svc_db_1: container('db', 'postgres') }) }, { s: {} });
    expect(gone.changes.map((c) => [c.action, c.address, c.dataLoss])).toEqual([['delete', 'docker_container.svc_db_1', true]]);
    const [removed] = diff({ s: stack({ svc_db_1: container('db', 'postgres') }) }, {});
    expect(removed.changes.map((c) => c.action)).toEqual(['delete']);
  });

  it('resources in address order; the cdktf metadata is not a change', () => {
    const base = stack({ svc_b_1: container('b', 'web'), svc_a_1: container('a', 'web') });
    const head = stack({ svc_b_1: { ...container('b', 'web', { image: 'img:2' }) }, svc_a_1: { ...container('a', 'web', { image: 'img:2' }), '//': { other: 'metadata' } } });
    expect(diff({ s: base }, { s: head })[0].changes.map((c) => c.address)).toEqual(['docker_container.svc_a_1', 'docker_container.svc_b_1']);
    const meta = stack({ svc_a_1: { ...container('a', 'web'), '//': { other: 'metadata' } } });
    expect(diff({ s: stack({ svc_a_1: container('a', 'web') }) }, { s: meta })[0].changes).toEqual([]);
  });

  it('created and deleted resources carry no attribute list', () => {
    const [p] = diff({ s: stack({ svc_a_1: container('a', 'web') }) }, { s: stack({ svc_b_1: container('b', 'web') }) });
    expect(p.changes.map((c) => [c.action, c.attributes])).toEqual([['delete', []], ['create', []]]);
  });

  it('a container is replaced when any attribute that forces it changes, even beside an in-place one', () => {
    const [p] = diff({ s: stack({ svc_a_1: container('a', 'web', { memory: 1 }) }) }, { s: stack({ svc_a_1: container('a', 'web', { memory: 2, env: ['A=1'] }) }) });
    expect(p.changes[0].action).toBe('replace');
    expect(p.changes[0].attributes).toEqual([
      { path: 'env', before: '(none)', after: '["A=1"]', forcesReplacement: true },
      { path: 'memory', before: '1', after: '2', forcesReplacement: false },
    ]);
  });

  it('an in-place change is an update, every attribute marked as not forcing', () => {
    const [p] = diff({ s: stack({ svc_a_1: container('a', 'web', { restart: 'no', memory: 1 }) }) }, { s: stack({ svc_a_1: container('a', 'web', { restart: 'always', memory: 2 }) }) });
    expect(p.changes.map((c) => [c.action, c.attributes.map((a) => [a.path, a.before, a.after, a.forcesReplacement])])).toEqual([['update', [['memory', '1', '2', false], ['restart', 'no', 'always', false]]]]);
  });

  it('every container attribute the provider does not update in place replaces it, beyond the obvious ones (provider 4.x schema)', () => {
    // ForceNew in resource_docker_container.go, and easy to miss: a Postgres container replaced for any of them
    const forcing: Record<string, [unknown, unknown]> = {
      user: ['999', '1000'], working_dir: ['/a', '/b'], cpus: ['1.0', '2.0'], hostname: ['a', 'b'], domainname: ['a', 'b'], publish_all_ports: [false, true],
      stop_signal: ['SIGTERM', 'SIGINT'], stop_timeout: [10, 30], log_opts: [{ 'max-size': '10m' }, { 'max-size': '20m' }], shm_size: [64, 128], privileged: [false, true],
    };
    for (const [attr, [before, after]] of Object.entries(forcing)) {
      const [p] = diff({ s: stack({ svc_db_1: container('db', 'postgres', { [attr]: before }) }) }, { s: stack({ svc_db_1: container('db', 'postgres', { [attr]: after }) }) });
      expect([attr, p.changes[0].action, p.changes[0].dataLoss], attr).toEqual([attr, 'replace', true]);
    }
    // what the provider updates on the running container, or keeps to itself
    const inPlace: Record<string, [unknown, unknown]> = {
      restart: ['no', 'always'], memory: [256, 512], memory_swap: [256, 512], cpu_shares: [512, 1024], max_retry_count: [0, 3],
      destroy_grace_seconds: [10, 60], wait_timeout: [60, 120], must_run: [true, false], wait: [true, false],
    };
    for (const [attr, [before, after]] of Object.entries(inPlace)) {
      const [p] = diff({ s: stack({ svc_db_1: container('db', 'postgres', { [attr]: before }) }) }, { s: stack({ svc_db_1: container('db', 'postgres', { [attr]: after }) }) });
      expect([attr, p.changes[0].action, p.changes[0].dataLoss], attr).toEqual([attr, 'update', false]);
    }
  });

  it('meta-arguments are no change (depends_on, lifecycle); another provider is another host: a replacement, and data loss for a stateful one', () => {
    const base = stack({ svc_db_1: container('db', 'postgres', { depends_on: ['docker_network.a'], lifecycle: { replace_triggered_by: ['terraform_data.x'] } }) });
    const meta = stack({ svc_db_1: container('db', 'postgres', { depends_on: ['docker_network.b'], lifecycle: { replace_triggered_by: ['terraform_data.y'], create_before_destroy: true } }) });
    expect(diff({ s: base }, { s: meta })[0].changes).toEqual([]);
    const moved = stack({ svc_db_1: container('db', 'postgres', { provider: 'docker.other', depends_on: ['docker_network.a'], lifecycle: { replace_triggered_by: ['terraform_data.x'] } }) });
    const [c] = diff({ s: base }, { s: moved })[0].changes;
    expect([c.action, c.dataLoss, c.attributes.map((a) => [a.path, a.forcesReplacement])]).toEqual(['replace', true, [['provider', true]]]);
  });

  it('only containers have replacement rules and data: other resources changing a name or a stateful label are updates', () => {
    const base = stack({}, { github_team: { t: { name: 'a', labels: labels('x', 'postgres') } } });
    const head = stack({}, { github_team: { t: { name: 'b', labels: labels('x', 'postgres') } } });
    expect(diff({ s: base }, { s: head })[0].changes.map((c) => [c.action, c.dataLoss, c.host, c.service])).toEqual([['update', false, 'main', 'x']]);
    expect(diff({ s: base }, { s: {} })[0].changes.map((c) => [c.action, c.dataLoss])).toEqual([['delete', false]]);
  });

  it('nested values: objects walked key by key, lists element by element, a type change shown whole', () => {
    const base = stack({ svc_a_1: container('a', 'web', { upload: [{ file: '/f', content: 'x' }], healthcheck: { test: ['CMD', 'a'] }, ports: [{ internal: 1 }] }) });
    const head = stack({ svc_a_1: container('a', 'web', { upload: [{ file: '/f', content: 'y' }], healthcheck: { test: ['CMD', 'b'] }, ports: { internal: 1 } }) });
    expect(diff({ s: base }, { s: head })[0].changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([
      ['healthcheck.test.1', 'a', 'b'],
      ['ports', '[{"internal":1}]', '{"internal":1}'],
      ['upload.0.content', 'x', 'y'],
    ]);
    // a block that appears is shown whole
    const [p] = diff({ s: stack({ svc_a_1: container('a', 'web') }) }, { s: stack({ svc_a_1: container('a', 'web', { log_opts: { 'max-size': '10m' } }) }) });
    expect(p.changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([['log_opts', '(none)', '{"max-size":"10m"}']]);
    // and one that was null before (no keys to walk) too
    const [q] = diff({ s: stack({ svc_a_1: container('a', 'web', { log_opts: null }) }) }, { s: stack({ svc_a_1: container('a', 'web', { log_opts: { 'max-size': '10m' } }) }) });
    expect(q.changes[0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([['log_opts', 'null', '{"max-size":"10m"}']]);
  });

  it('host and service from labels, else from the provider alias and the logical id', () => {
    const base = stack({}, { docker_volume: { volume_db_data: { name: 'v', provider: 'docker.core' } }, docker_network: { network_proxy: { name: 'n' } }, github_repository_environment: { env: { environment: 'x' } } });
    const [p] = diff({ s: {} }, { s: base });
    expect(p.changes.map((c) => [c.address, c.host, c.service])).toEqual([
      ['docker_network.network_proxy', '-', '(network)'],
      ['docker_volume.volume_db_data', 'core', 'db'],
      ['github_repository_environment.env', '-', 'github'],
    ]);
    const [q] = diff({ s: {} }, { s: stack({ odd_name: { name: 'x' } }) });
    expect(q.changes.map((c) => [c.host, c.service])).toEqual([['-', 'odd_name']]);
    const [r] = diff({ s: {} }, { s: stack({ svc_a_1: container('a', 'web') }) });
    expect(r.changes.map((c) => [c.host, c.service, c.kind])).toEqual([['main', 'a', 'web']]);
  });
});
