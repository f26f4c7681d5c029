/**
 * Invariants on environments built from code (constructs used without YAML get the same checks):
 * duplicate names, unknown hosts, files needing undeclared secrets, cycles, proxy entrypoints,
 * and which checks apply only to Docker hosts (a Kubernetes cluster routes and schedules itself).
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../lib/environment';
import { checkEnvironment } from '../lib/invariants';
import { Service, type ServiceProps } from '../lib/service';

function env(build: (stack: Environment) => void, opts: { platform?: 'docker' | 'kubernetes'; production?: boolean } = {}) {
  const stack = new Environment({
    name: 'unit',
    hosts: ['main', 'edge'].map((name, i) => ({ name, docker: `ssh://deploy@${name}.example.com`, address: `10.0.0.${i + 1}`, sshOptions: [] })),
    secrets: ['DB_PASSWORD'],
    platform: opts.platform,
    production: opts.production,
  });
  build(stack);
  return checkEnvironment(stack);
}
const svc = (stack: Environment, id: string, props: Partial<ServiceProps> = {}) =>
  new Service(stack, id, { host: 'main', image: { repository: `x/${id}`, tag: '1' }, kind: 'service', ...props });
const proxy = (stack: Environment, host = 'main', entrypoints = ['web', 'websecure']) => {
  stack.proxy = { service: svc(stack, 'proxy', { host, kind: 'traefik' }), entrypoints };
};
const messages = (problems: ReturnType<typeof checkEnvironment>) => problems.map((p) => `${p.file} ${p.path}: ${p.message}`);

describe('invariants from code', () => {
  it('a well-formed environment has no problem', () => {
    expect(env((s) => {
      proxy(s);
      const db = svc(s, 'db', { healthcheck: { test: ['CMD', 'true'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1, startPeriodSeconds: 0 } }).addSecret('DB_PASSWORD');
      svc(s, 'api', { replicas: 3 }).addRoute({ rule: 'Host(`a`)', port: 80, entrypoints: ['websecure'] }).dependOn(db, 'healthy').addPort('http', 80);
    })).toEqual([]);
  });

  it('two services with one name', () => {
    expect(messages(env((s) => {
      svc(s, 'a', { name: 'same' });
      svc(s, 'b', { name: 'same' });
      svc(s, 'c', { name: 'other' });
    }))).toEqual(['construct unit/b : two services are named same; names must be unique in an environment']);
  });

  it('a host the environment does not declare, listing the declared ones', () => {
    expect(messages(env((s) => svc(s, 'a', { host: 'nowhere' })))).toEqual(['construct unit/a host: unknown host "nowhere"; declared hosts: main, edge']);
  });

  it('a secret or a file that needs a secret the environment does not declare', () => {
    expect(messages(env((s) => {
      svc(s, 'a').addSecret('NOPE').addSecret('DB_PASSWORD');
      svc(s, 'b').addFile({ path: '/etc/url', content: ['x:', { secret: 'MISSING' }, { secret: 'DB_PASSWORD' }] }).addFile({ path: '/etc/plain', content: ['x'] });
    }))).toEqual([
      'construct unit/a secrets: uses secret NOPE, which is not declared; add it to the top-level `secrets:` list',
      'construct unit/b : needs secret MISSING, which is not declared; add it to the top-level `secrets:` list',
    ]);
  });

  it('an unknown entrypoint names every entrypoint of the proxy', () => {
    expect(messages(env((s) => {
      proxy(s);
      svc(s, 'a').addRoute({ rule: 'Host(`a`)', port: 80, entrypoints: ['web', 'admin'] });
    }))).toEqual(['construct unit/a entrypoints: unknown proxy entrypoint "admin"; the proxy has web, websecure']);
  });

  it('a cycle is reported once, from the alphabetically first service on it, listing only the cycle', () => {
    expect(messages(env((s) => {
      const [z, c, b, a] = ['z', 'c', 'b', 'a'].map((n) => svc(s, n));
      z.dependOn(b, 'started'); // z leads into the cycle but is not on it
      b.dependOn(c, 'started');
      c.dependOn(b, 'started');
      a.dependOn(z, 'started');
    }))).toEqual(['construct unit/b uses: dependency cycle: b → c → b; break it by removing one of these uses/after entries']);
  });

  it('the report does not depend on declaration order', () => {
    expect(messages(env((s) => {
      const [c, b, a] = ['c', 'b', 'a'].map((n) => svc(s, n));
      a.dependOn(b, 'started');
      b.dependOn(c, 'started');
      c.dependOn(b, 'started');
    }))).toEqual(['construct unit/b uses: dependency cycle: b → c → b; break it by removing one of these uses/after entries']);
  });
});

describe('checks that apply to Docker hosts only', () => {
  const routedAndPublished = (s: Environment) => {
    svc(s, 'web', { replicas: 2, host: 'edge' }).addRoute({ rule: 'Host(`a`)', port: 80 }).addPort('http', 80, 8080);
    svc(s, 'other').addPort('http', 80, 8080);
    svc(s, 'third', { host: 'edge' }).addPort('http', 80, 8080);
  };

  it('on Docker: a route needs a proxy, replicas cannot share a host port, nor can services on one host', () => {
    expect(messages(env(routedAndPublished))).toEqual([
      'construct unit/web route: has a route but the environment has no proxy; add a service of kind: traefik',
      'construct unit/web ports: publishes a host port but runs 2 replicas, which would collide on the host; route it through the proxy or use one replica',
      'construct unit/third ports: publishes host port 8080 on host edge, which web already publishes; choose another port',
    ]);
  });

  it('on Kubernetes: none of these apply', () => {
    expect(env(routedAndPublished, { platform: 'kubernetes' })).toEqual([]);
  });

  it('on Kubernetes, a route is fine with the proxy on another node pool', () => {
    expect(env((s) => {
      proxy(s, 'edge');
      svc(s, 'web').addRoute({ rule: 'Host(`a`)', port: 80 });
    }, { platform: 'kubernetes' })).toEqual([]);
  });
});
