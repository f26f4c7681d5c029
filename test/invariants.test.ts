/**
 * Environment invariants that protect production and the hosts: pinned image tags, routed
 * services on the proxy's host, no host-port collisions between replicas. Each is checked both
 * ways: the mistake is refused with its position, the correct variant passes.
 */
import { describe, expect, it } from 'vitest';
import { WebService } from '../constructs/web-service';
import { checkEnvironment } from '../lib/invariants';
import { dockerStack } from './constructs/harness';
import { errors, MINIMAL, synth, twoHostEnvironment } from './helpers';

const PINNED_BASE = MINIMAL.replace('name: test', 'name: test\nproduction: true')
  .replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, tag: "17.6", password: DB_PASSWORD }')
  .replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, version: v3.6.12 }');
const production = (tag: string) => ({ 'env.yaml': PINNED_BASE.replace('tag: "1.0"', `tag: ${JSON.stringify(tag)}`) });
const notPinned = (image: string) => `image ${image} is not pinned; production needs a fixed tag (e.g. tag: "sha-a1b2c3d" or "17.6")`;

describe('production pins image tags', () => {
  for (const tag of ['latest', 'latest-pg16', 'latest-alpine', 'latest17']) {
    it(`refuses tag ${tag}`, () => {
      expect(errors(production(tag))).toEqual([`env.yaml:12:5 services.api.tag: ${notPinned(`ghcr.io/acme/api:${tag}`)}`]);
    });
  }

  for (const tag of ['1.0', '17.6', 'sha-a1b2c3d', '2.21.1-pg17', 'v3.6.12']) {
    it(`accepts tag ${tag}`, () => {
      const stack = synth(production(tag)).test;
      expect(Object.keys(stack.resource.docker_image)).toContain(`image_main_ghcr_io_acme_api_${tag.replace(/[^a-z0-9]/g, '_')}`);
    });
  }

  // Was a gap: only tags that start with "latest" were refused; a floating tag that ends with it passed.
  for (const tag of ['16-latest', 'stable-latest', '16-latest-alpine', 'LATEST']) {
    it(`refuses the floating tag ${tag}`, () => {
      expect(errors(production(tag))).toEqual([`env.yaml:12:5 services.api.tag: ${notPinned(`ghcr.io/acme/api:${tag}`)}`]);
    });
  }

  it('refuses a release whose default tag is latest, positioned on release.tag and naming the service', () => {
    const files = { 'env.yaml': PINNED_BASE.replace('services:', 'release: { tag: latest, images: [ghcr.io/acme/api] }\nservices:').replace('    tag: "1.0"\n', '') };
    expect(errors(files)).toEqual([`env.yaml:6:12 release.tag: ${notPinned('ghcr.io/acme/api:latest')}, used by api`]);
  });

  it('the same tags are fine outside production', () => {
    const stack = synth({ 'env.yaml': MINIMAL.replace('tag: "1.0"', 'tag: latest-pg16') }).test;
    expect(stack.resource.docker_container.svc_api_1.image).toContain('image_main_ghcr_io_acme_api_latest_pg16');
  });
});

const TWO_HOSTS = MINIMAL.replace('hosts:\n', 'hosts:\n  edge: { docker: "ssh://deploy@edge.example.com", address: 10.0.0.2 }\n')
  .replace('  proxy: { kind: traefik, entrypoints: { web: 8001 } }', '  proxy: { kind: traefik, host: edge, entrypoints: { web: 8001 } }')
  .replace('{ kind: postgres, password: DB_PASSWORD }', '{ kind: postgres, host: main, password: DB_PASSWORD }');

describe('routed services run on the proxy host', () => {
  it('refuses a routed service on another host than the proxy, positioned on its route', () => {
    const files = { 'env.yaml': TWO_HOSTS.replace('    image: ghcr.io/acme/api', '    host: main\n    image: ghcr.io/acme/api') };
    expect(errors(files)).toEqual(['env.yaml:16:5 services.api.route: is routed by the proxy on host edge but runs on main; run routed services on the proxy\'s host']);
  });

  it('accepts it on the proxy host, with the other services elsewhere', () => {
    const files = { 'env.yaml': TWO_HOSTS.replace('    image: ghcr.io/acme/api', '    host: edge\n    image: ghcr.io/acme/api').replace('    uses: [db]\n', '') };
    const stack = synth(files).test;
    expect(stack.resource.docker_container.svc_api_1.provider).toBe('docker.edge');
    expect(stack.resource.docker_container.svc_db_1.provider).toBe('docker.main');
  });

  it('an unrouted service may run on any host', () => {
    const files = { 'env.yaml': TWO_HOSTS.replace('    image: ghcr.io/acme/api', '    host: edge\n    image: ghcr.io/acme/api').replace('    uses: [db]\n', '') + '  worker: { kind: service, host: main, image: x/w, tag: "1" }\n' };
    expect(synth(files).test.resource.docker_container.svc_worker_1.provider).toBe('docker.main');
  });
});

describe('replicas with a published port', () => {
  const service = (extra: string) => ({ 'env.yaml': MINIMAL + `  worker: { kind: service, image: x/w, tag: "1", ${extra} }\n` });

  it('refuses several replicas that publish a host port, positioned on ports', () => {
    expect(errors(service('replicas: 2, ports: { http: { container: 80, publish: 9000 } }'))).toEqual([
      'env.yaml:17:63 services.worker.ports: publishes a host port but runs 2 replicas, which would collide on the host; route it through the proxy or use one replica',
    ]);
  });

  it('refuses it when only one of several ports is published', () => {
    expect(errors(service('replicas: 3, ports: { http: { container: 80 }, admin: { container: 81, publish: 9001 } }'))).toEqual([
      'env.yaml:17:63 services.worker.ports: publishes a host port but runs 3 replicas, which would collide on the host; route it through the proxy or use one replica',
    ]);
  });

  it('accepts one replica publishing a port, and several replicas publishing none', () => {
    expect(synth(service('replicas: 1, ports: { http: { container: 80, publish: 9000 } }')).test.resource.docker_container.svc_worker_1.ports).toEqual([
      expect.objectContaining({ internal: 80, external: 9000 }),
    ]);
    const stack = synth(service('replicas: 2, ports: { http: { container: 80 } }')).test;
    expect(Object.keys(stack.resource.docker_container).filter((k) => k.startsWith('svc_worker_'))).toEqual(['svc_worker_1', 'svc_worker_2']);
  });
});

describe('container hostnames fit a DNS label (Docker)', () => {
  // environment-service-replica: 30 + 1 + 30 + 2 = 63 characters
  const named = (service: string) => `name: ${'e'.repeat(30)}\nhosts:\n  main: { docker: "unix:///var/run/docker.sock" }\nservices:\n  ${service}: { kind: service, image: x/w, tag: "1" }\n`;

  it('63 characters are accepted, 64 refused on the service', () => {
    expect(() => synth({ 'env.yaml': named('s'.repeat(30)) })).not.toThrow();
    expect(errors({ 'env.yaml': named('s'.repeat(31)) })).toEqual([
      `env.yaml:5:3 services.${'s'.repeat(31)}: container hostname ${'e'.repeat(30)}-${'s'.repeat(31)}-1 would be 64 characters, over the 63 a hostname may have; shorten the environment or service name`,
    ]);
  });

  it('a Kubernetes environment has no such container name', () => {
    const cluster = `name: ${'e'.repeat(30)}\nplatform: kubernetes\nkubernetes: { namespace: n, nodePools: { general: {} } }\nservices:\n  ${'s'.repeat(40)}: { kind: service, host: general, image: x/w, tag: "1" }\n`;
    expect(() => synth({ 'env.yaml': cluster })).not.toThrow();
  });
});

describe('memory limits from code', () => {
  it('Docker\'s minimum of 6 MiB is accepted; below it is refused at resources.memory', () => {
    const problems = (memory: string) => checkEnvironment(dockerStack((s) => new WebService(s, 'api', { host: 'main', image: 'x/api:1', port: 8000, resources: { memory } })).environment).map((p) => [p.path, p.message]);
    expect(problems('6m')).toEqual([]);
    expect(problems('5m')).toEqual([['resources.memory', "memory limit of 5 MiB is below Docker's minimum of 6 MiB; give at least 6m"]]);
  });
});

describe('an NFS server the other hosts mount listens where they reach it', () => {
  const nfs = (bind: string, address = 'core.example.com') => ({ 'e.yaml': twoHostEnvironment(`  nfs: { kind: nfs-server, host: core${bind} }\n  w: { kind: service, host: b, image: x/w, tag: "1", mounts: { shared: /mnt/shared } }\n`, 'nfs: { shared: { server: nfs } }\n').replace('address: core.example.com', `address: ${address}`) });

  it('refused on the loopback interface of a host with a network address, positioned on bind', () => {
    expect(errors(nfs(''))).toEqual([
      "e.yaml:9:3 services.nfs.bind: the hosts mounting its NFS volumes reach nfs at core.example.com:2049, but it listens on 127.0.0.1 only; set `bind:` here to an address they reach (e.g. 0.0.0.0 or the host's private address)",
    ]);
    expect(errors(nfs(', bind: 127.0.0.2'))[0]).toContain('but it listens on 127.0.0.2 only');
  });

  it('accepted on an address the hosts reach, or on a host whose own address is the loopback one', () => {
    expect(() => synth(nfs(', bind: 0.0.0.0'))).not.toThrow();
    expect(() => synth(nfs('', '127.0.0.1'))).not.toThrow();
  });
});
