/**
 * lib/deploy/first-deploy.ts on the bundled `local` environment: with nothing deployed, the
 * start-first services' replicas lose the chain between them and the drain gates lose their
 * sleep, nothing else changes; a service with anything in the state (a running, tainted or
 * deposed replica) keeps both, and so does every other dependency.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstDeployStack, onHosts, servicesNew } from '../lib/deploy/first-deploy';
import type { StateJson, StateResource } from '../lib/deploy/stack-json';
import { shared, synth } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const file = (n: string) => fs.readFileSync(path.join(ROOT, 'environments', n), 'utf8');
// by the first test that reads it, not while the file is collected (see `shared`)
const stack = shared(() => synth({ 'local.yaml': file('local.yaml'), 'base.yaml': file('base.yaml') }, ['local.yaml']).local);
const empty: StateJson = { resources: [] };
const container = (name: string, service: string, status?: string): StateResource => ({
  mode: 'managed', type: 'docker_container', name,
  instances: [{ status, attributes: { name: `local-${service}-1-abcdef12`, labels: [{ label: 'stackyard.service', value: service }] } }],
});
const deps = (s: any, key: string): string[] => s.resource.docker_container[key].depends_on ?? [];

describe('a first deploy starts replicas together and waits for no drain', () => {
  it('the synthesized stack orders replicas and sleeps in its drain gates (what plain tofu apply runs)', () => {
    expect(deps(stack(), 'svc_backend_2')).toContain('docker_container.svc_backend_1');
    expect(deps(stack(), 'svc_frontend_2')).toEqual(['docker_container.svc_frontend_1']);
    expect(stack().resource.terraform_data.drain_backend.provisioner).toEqual([{ 'local-exec': { command: 'sleep 5' } }]);
  });

  it('with nothing deployed: every start-first service, no chain, no sleep; the rest as synthesized', () => {
    const r = firstDeployStack(stack(), empty)!;
    expect(r.services).toEqual(['adminer', 'backend', 'frontend']);
    expect(deps(r.stack, 'svc_backend_2')).toEqual(deps(stack(), 'svc_backend_1'));
    expect(deps(r.stack, 'svc_backend_2')).toContain('docker_container.svc_prestart_1');
    expect((r.stack as any).resource.docker_container.svc_frontend_2.depends_on).toBeUndefined();
    for (const s of ['adminer', 'backend', 'frontend']) {
      const gate = (r.stack as any).resource.terraform_data[`drain_${s}`];
      expect(gate.provisioner).toBeUndefined();
      expect(gate.triggers_replace).toEqual(stack().resource.terraform_data[`drain_${s}`].triggers_replace);
    }
    // only those changed: the same document with them put back
    const back = JSON.parse(JSON.stringify(r.stack));
    back.resource.docker_container.svc_backend_2.depends_on = deps(stack(), 'svc_backend_2');
    back.resource.docker_container.svc_frontend_2.depends_on = deps(stack(), 'svc_frontend_2');
    for (const s of ['adminer', 'backend', 'frontend']) back.resource.terraform_data[`drain_${s}`].provisioner = stack().resource.terraform_data[`drain_${s}`].provisioner;
    expect(back).toEqual(stack());
    // the input is not touched
    expect(deps(stack(), 'svc_backend_2')).toContain('docker_container.svc_backend_1');
  });

  it('a service with a replica in the state keeps its chain and drain; a new one beside it does not', () => {
    const state: StateJson = { resources: [container('svc_backend_1', 'backend'), container('svc_db_1', 'db')] };
    expect(servicesNew(stack(), state)).toEqual(['adminer', 'frontend']);
    const r = firstDeployStack(stack(), state)!;
    expect(deps(r.stack, 'svc_backend_2')).toEqual(deps(stack(), 'svc_backend_2'));
    expect((r.stack as any).resource.terraform_data.drain_backend.provisioner).toEqual(stack().resource.terraform_data.drain_backend.provisioner);
    expect((r.stack as any).resource.docker_container.svc_frontend_2.depends_on).toBeUndefined();
  });

  it('a tainted replica, or one known only by its label (a key the stack no longer has), counts as deployed', () => {
    expect(servicesNew(stack(), { resources: [container('svc_frontend_2', 'frontend', 'tainted')] })).toEqual(['adminer', 'backend']);
    expect(servicesNew(stack(), { resources: [container('svc_backend_3', 'backend')] })).toEqual(['adminer', 'frontend']);
    const all = { resources: ['adminer', 'backend', 'frontend'].map((s) => container(`svc_${s}_1`, s)) };
    expect(firstDeployStack(stack(), all)).toBeUndefined();
  });
});

describe('what counts as deployed, and which drain gates wait on fresh replicas only', () => {
  it('a data source, an entry without instances or another resource type is no deployed replica', () => {
    const data: StateResource = { ...container('svc_backend_1', 'backend'), mode: 'data' };
    const none: StateResource = { ...container('svc_frontend_1', 'frontend'), instances: [] };
    const volume: StateResource = { ...container('svc_adminer_1', 'adminer'), type: 'docker_volume' };
    expect(servicesNew(stack(), { resources: [data, none, volume] })).toEqual(['adminer', 'backend', 'frontend']);
    // an entry without a mode is managed (older state files)
    const { mode: _mode, ...noMode } = container('svc_backend_1', 'backend');
    expect(servicesNew(stack(), { resources: [noMode as StateResource] })).toEqual(['adminer', 'frontend']);
  });

  it('a replica in the state without labels is known by the stack key it has', () => {
    const bare: StateResource = { mode: 'managed', type: 'docker_container', name: 'svc_frontend_1', instances: [{ attributes: {} }] };
    expect(servicesNew(stack(), { resources: [bare] })).toEqual(['adminer', 'backend']);
    // no attributes at all, labels without the service's (or a null one): still known by the key
    const none = { mode: 'managed', type: 'docker_container', name: 'svc_frontend_1', instances: [{}] } as StateResource;
    const other: StateResource = { mode: 'managed', type: 'docker_container', name: 'svc_backend_1', instances: [{ attributes: { labels: [null, { label: 'other', value: 'x' }] } }] };
    expect(servicesNew(stack(), { resources: [none, other] })).toEqual(['adminer']);
  });

  // a small stack: web (start-first, two replicas, a gate), db (stop-first)
  const label = (s: string) => [{ label: 'stackyard.service', value: s }];
  const small = () => ({
    resource: {
      docker_container: {
        svc_web_1: { labels: label('web'), lifecycle: { create_before_destroy: true }, depends_on: ['docker_container.svc_db_1'] },
        svc_web_2: { labels: label('web'), lifecycle: { create_before_destroy: true }, depends_on: ['docker_container.svc_web_1', 'docker_container.svc_gone_1'] },
        svc_ui_1: { labels: label('ui'), lifecycle: { create_before_destroy: true } },
        svc_db_1: { labels: label('db') },
        svc_api_1: { labels: label('api'), lifecycle: { create_before_destroy: false } },
      },
      terraform_data: {
        web_only: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: { containers: ['${docker_container.svc_web_2.id}'] } },
        with_db: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: { containers: ['${docker_container.svc_web_2.id}', '${docker_container.svc_db_1.id}'] } },
        not_a_ref: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: { containers: ['${docker_container.svc_web_2.id}', 'svc_web_1'] } },
        ref_inside: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: { containers: ['x${docker_container.svc_web_2.id}'] } },
        ref_before: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: { containers: ['${docker_container.svc_web_2.id}x'] } },
        watches_nothing: { provisioner: [{ 'local-exec': { command: 'sleep 5' } }], triggers_replace: {} },
        no_sleep: { triggers_replace: { containers: ['${docker_container.svc_web_2.id}'] } },
      },
    },
  });

  it('only start-first services count; a gate loses its sleep only when every replica it watches is a fresh start-first one', () => {
    const r = firstDeployStack(small() as any, empty)!;
    // sorted, whatever the stack's order
    expect(r.services).toEqual(['ui', 'web']);
    const gates = (r.stack as any).resource.terraform_data;
    expect(Object.keys(gates).filter((k) => gates[k].provisioner === undefined)).toEqual(['web_only', 'no_sleep']);
    // the chain between web's replicas goes, web's dependency on db stays
    expect((r.stack as any).resource.docker_container.svc_web_1.depends_on).toEqual(['docker_container.svc_db_1']);
    // a dependency on a container the stack does not have is no replica of web: kept
    expect((r.stack as any).resource.docker_container.svc_web_2.depends_on).toEqual(['docker_container.svc_gone_1']);
    // a stack without gates or containers of that kind is no problem
    const bare = small() as any;
    delete bare.resource.terraform_data;
    expect(firstDeployStack(bare, empty)!.stack).not.toHaveProperty('resource.terraform_data');
  });
});

describe('whether the state must be read before the apply', () => {
  const host = (containers: string[], networks: string[] = []) => ({ alias: 'local', host: 'unix:///var/run/docker.sock', containers: containers.map((name) => ({ name, volumes: [], networks: [] })), networks: networks.map((name) => ({ name, users: [] })) });
  it('only when a host has a container or a network of the environment', () => {
    expect(onHosts([])).toBe(false);
    expect(onHosts([host([]), host([])])).toBe(false);
    expect(onHosts([host([]), host(['local-db-1'])])).toBe(true);
    expect(onHosts([host([], ['local-private'])])).toBe(true);
  });
});

describe('the first-deploy copy of the stack file', () => {
  it('an interrupted deploy (SIGTERM) puts the synthesized cdk.tf.json back before it exits, so a later plain tofu apply sees the replica chain again', async () => {
    const { spawn } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'stackyard-swap-'));
    const file = path.join(dir, 'cdk.tf.json');
    fs.writeFileSync(file, '{"synthesized":true}');
    const run = path.join(__dirname, '..', 'dist', 'lib', 'deploy', 'run.js');
    // the apply that never ends: the copy is in place until a signal comes
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(run)}).withStackFile(${JSON.stringify(dir)}, { stack: { copy: true } }, () => { process.stdout.write('swapped\\n'); return new Promise(() => setInterval(() => {}, 1000)); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('swapped') && resolve()));
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ copy: true });
    child.kill('SIGTERM');
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGTERM'); // the signal still ends the run
    expect(fs.readFileSync(file, 'utf8')).toBe('{"synthesized":true}');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
