/**
 * The deploy's steps (lib/deploy/steps.ts) around the decisions tested in test/deploy-safety.test.ts:
 * `down` reads its flags and refuses without a terminal to ask on, keeps the GitHub resources unless
 * told, and a folder without a synthesized stack stops the deploy naming the folder; against a
 * stand-in `docker` (test/stand-in-docker.ts), what a host lists for the reaper, what the reaper
 * removes, whose health the report after a failed apply shows, and what `down` does with the data
 * volumes: this environment's only, by their labels.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { forgetHosts } from '../lib/deploy/host-docker';
import { confirmDown, DeployStop, hostListings, readStack, reap, unhealthy, volumes } from '../lib/deploy/steps';
import { MINIMAL, synthesizedCheckout, tempDir } from './helpers';
import { standInDocker, type StandIn } from './stand-in-docker';

const stackDir = (env: string): string => synthesizedCheckout(env).dir;
const stopped = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DeployStop) return e.message;
    throw e;
  }
  return 'went on';
};

describe('the deploy\'s steps', () => {
  // no terminal to ask on, whatever runs the tests (a prompt would wait for stdin)
  const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
  beforeEach(() => Object.defineProperty(process.stdin, 'isTTY', { value: undefined, configurable: true }));
  afterEach(() => {
    if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  });

  it('down: goes on for a staging stack, refuses to delete data volumes or destroy production without a terminal unless --yes', () => {
    const staging = stackDir(MINIMAL);
    expect(confirmDown(staging, [])).toEqual([]);
    expect(stopped(() => confirmDown(staging, ['--volumes']))).toMatch(/^refusing to destroy every data volume of test .*without confirmation: no terminal to ask on\. Pass --yes/);
    expect(confirmDown(staging, ['--volumes', '--yes'])).toEqual([]);
    const production = stackDir(MINIMAL.replace('name: test', 'name: test\nproduction: true'));
    expect(stopped(() => confirmDown(production, []))).toMatch(/without confirmation: no terminal to ask on/);
    expect(confirmDown(production, ['--yes'])).toEqual([]);
  });

  it('down keeps the GitHub environment and its secrets unless --github', () => {
    const dir = stackDir(MINIMAL + 'github: { owner: acme, repository: app }\n');
    const kept = confirmDown(dir, []);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((a) => /^-exclude=github_[a-z_]+\.[A-Za-z0-9_]+$/.test(a))).toBe(true);
    expect(stopped(() => confirmDown(dir, ['--github']))).toMatch(/^refusing to destroy .*GitHub.* without confirmation/);
    expect(confirmDown(dir, ['--github', '--yes'])).toEqual([]);
  });

  it('a folder without a synthesized stack stops the deploy, naming the folder', () => {
    const dir = tempDir();
    expect(stopped(() => readStack(dir))).toBe(`no synthesized stack in ${dir}`);
  });
});

describe('the deploy\'s steps on a host (stand-in docker)', () => {
  const saved = { ...process.env };
  let docker: StandIn;
  let out: string[];
  beforeEach(() => {
    // reading a stack learns how to reach its hosts once per process, with the environment of the time
    forgetHosts();
    docker = standInDocker(tempDir());
    Object.assign(process.env, { PATH: `${docker.bin}:${saved.PATH}`, ...docker.env });
    out = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((t) => (out.push(String(t)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((t) => (out.push(String(t)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    forgetHosts();
    process.env.PATH = saved.PATH;
  });
  const env = (name: string, extra: Record<string, string> = {}) => ({ 'stackyard.environment': name, ...extra });

  it('lists this environment\'s containers (without the maintenance page) and networks, each with its volumes, networks and users, in name order', () => {
    const dir = stackDir(MINIMAL);
    docker.set({
      containers: [
        { Id: 'c2', Name: '/test-web-1', Config: { Labels: env('test') }, Mounts: [{ Type: 'volume', Name: 'v-z' }, { Type: 'bind', Name: '' }, { Type: 'volume', Name: 'v-a' }], NetworkSettings: { Networks: { 'test-z': {}, 'test-a': {} } } },
        { Id: 'c1', Name: '/test-api-1', Config: { Labels: env('test') } },
        { Id: 'c3', Name: '/test-maintenance', Config: { Labels: env('test', { 'stackyard.maintenance': 'api' }) } },
        { Id: 'c4', Name: '/other-api-1', Config: { Labels: env('other') } },
      ],
      networks: [
        { Id: 'n1', Name: 'test-proxy', Labels: env('test') },
        { Id: 'n2', Name: 'test-private', Labels: env('test'), Containers: { c2: { Name: 'test-web-1' }, c1: { Name: 'test-api-1' } } },
        { Id: 'n3', Name: 'other-private', Labels: env('other') },
      ],
    });
    const [main] = hostListings(dir);
    expect(main).toEqual({
      alias: 'main',
      host: 'unix:///var/run/docker.sock',
      containers: [
        { name: 'test-api-1', volumes: [], networks: [] },
        { name: 'test-web-1', volumes: ['v-a', 'v-z'], networks: ['test-a', 'test-z'] },
      ],
      networks: [
        { name: 'test-private', users: ['test-api-1', 'test-web-1'] },
        { name: 'test-proxy', users: [] },
      ],
    });
  });

  it('down keeps this environment\'s volumes unless --volumes; with it deletes them, only them, and refuses while one is mounted', () => {
    const dir = stackDir(MINIMAL);
    const world = { volumes: [{ Name: 'test-db', Labels: env('test') }, { Name: 'test-a', Labels: env('test') }, { Name: 'other-db', Labels: env('other') }] };
    docker.set(world);
    volumes(dir, false);
    expect(docker.world().volumes.map((v) => v.Name)).toEqual(['test-db', 'test-a', 'other-db']);
    expect(out.join('')).toContain('keeping volume test-a on main');
    volumes(dir, true);
    expect(docker.world().volumes.map((v) => v.Name)).toEqual(['other-db']);
    expect(docker.calls().filter((c) => c[0] === 'volume' && c[1] === 'rm')).toEqual([['volume', 'rm', 'test-a'], ['volume', 'rm', 'test-db']]);
    docker.set({ ...world, containers: [{ Id: 'x', Name: '/stray', Config: { Labels: {} }, Mounts: [{ Type: 'volume', Name: 'test-db' }] }] });
    expect(stopped(() => volumes(dir, true))).toContain('test-db on main (unix:///var/run/docker.sock), used by stray');
    expect(docker.world().volumes).toHaveLength(3);
    // the engine refusing a removal stops down at the first, naming the volume and the engine's words
    docker.set({ ...world, rmFails: 'Error response from daemon: remove test-a: volume is in use' });
    expect(stopped(() => volumes(dir, true))).toBe('could not remove test-a on main: Error response from daemon: remove test-a: volume is in use');
    expect(docker.calls().filter((c) => c[0] === 'volume' && c[1] === 'rm').at(-1)).toEqual(['volume', 'rm', 'test-a']);
    expect(docker.world().volumes).toHaveLength(3);
  });

  it('a host without containers or networks of the environment lists none (no inspect of nothing, which the CLI refuses)', () => {
    const dir = stackDir(MINIMAL);
    expect(hostListings(dir)).toEqual([{ alias: 'main', host: 'unix:///var/run/docker.sock', containers: [], networks: [] }]);
  });

  it('after a failed apply, reports the environment\'s unhealthy replicas with their health output, no other environment\'s', () => {
    const dir = stackDir(MINIMAL);
    const sick = (name: string, environment: string) => ({
      Id: name, Name: `/${name}`, Config: { Labels: { ...env(environment), 'stackyard.service': 'api', 'stackyard.replica': '1' } },
      State: { Status: 'running', Health: { Status: 'unhealthy', Log: [{ ExitCode: 1, Output: `${name} refused` }] } },
    });
    docker.set({ containers: [sick('test-api-1', 'test'), sick('other-api-1', 'other')] });
    unhealthy(dir);
    const said = out.join('');
    expect(said).toContain('test-api-1 refused');
    expect(said).not.toContain('other-api-1');
  });

  it('reaps the environment\'s containers its state does not know, then networks only they used; refuses when the state knows none', () => {
    const dir = stackDir(MINIMAL);
    const state = JSON.stringify({ version: 4, resources: [
      { mode: 'managed', type: 'docker_container', name: 'svc_api_1', instances: [{ attributes: { name: 'test-api-1' } }] },
      { mode: 'managed', type: 'docker_network', name: 'network_main_private', instances: [{ attributes: { name: 'test-private' } }] },
      { mode: 'managed', type: 'docker_network', name: 'network_proxy', instances: [{ attributes: { name: 'test-proxy' } }] },
    ] });
    const world = {
      containers: [
        { Id: 'a', Name: '/test-api-1', Config: { Labels: env('test') } },
        { Id: 'b', Name: '/test-old-1', Config: { Labels: env('test') }, NetworkSettings: { Networks: { 'test-old': {} } } },
        { Id: 'c', Name: '/other-old-1', Config: { Labels: env('other') } },
      ],
      networks: [
        { Id: 'n1', Name: 'test-private', Labels: env('test'), Containers: { a: { Name: 'test-api-1' } } },
        { Id: 'n2', Name: 'test-old', Labels: env('test'), Containers: { b: { Name: 'test-old-1' } } },
        // the state's own network stays, even when only a removed container used it
        { Id: 'n3', Name: 'test-proxy', Labels: env('test'), Containers: { b: { Name: 'test-old-1' } } },
      ],
    };
    docker.set(world);
    reap(dir, state, false);
    expect(docker.world().containers.map((c) => c.Name)).toEqual(['/test-api-1', '/other-old-1']);
    expect(docker.world().networks.map((n) => n.Name)).toEqual(['test-private', 'test-proxy']);
    expect(docker.calls().filter((c) => c[0] === 'rm' || c[1] === 'rm')).toEqual([['rm', '-f', 'test-old-1'], ['network', 'rm', 'test-old']]);
    docker.set(world);
    expect(stopped(() => reap(dir, JSON.stringify({ version: 4, resources: [] }), false))).toMatch(/^the state of test knows none of the 2 container\(s\)/);
    expect(docker.world().containers).toHaveLength(3);
  });

  it('a host that does not answer stops the deploy naming it', () => {
    const dir = stackDir(MINIMAL);
    docker.set({ down: true });
    expect(stopped(() => hostListings(dir))).toMatch(/main/);
  });
});

