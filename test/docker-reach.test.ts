/**
 * How one service reaches another on Docker hosts (lib/docker/reach.ts), which every generated
 * address (Prometheus's scrape targets, a URL across hosts) comes from: on the same host by
 * container or service name on the environment's network and the container port; from another
 * host by the target host's `address:` and the published port. test/fleet scrapes and calls
 * through these addresses across real hosts.
 */
import { describe, expect, it } from 'vitest';
import { dockerReach } from '../lib/docker/reach';
import type { EnvironmentModel } from '../lib/model';
import type { PortSpec, Service } from '../lib/service';

const model = {
  environmentName: 'prod',
  hosts: new Map<string, object>([['core', { address: '10.0.0.1' }], ['worker', { address: '10.0.0.2' }], ['bare', {}]]),
} as unknown as EnvironmentModel;
const reach = dockerReach(model);

/** A service on `host` whose replicas have port `metrics` (8000 in the container), each published as given. */
function service(name: string, host: string, published: (number | undefined | 'none')[]): Service {
  const own = (i: number): PortSpec | undefined => {
    const p = published[i - 1];
    return p === 'none' ? undefined : ({ name: 'metrics', container: 8000, ...(p === undefined ? {} : { publish: p }) } as PortSpec);
  };
  return { serviceName: name, host, replicas: published.length, replicaPort: (i: number, port: string) => (port === 'metrics' ? own(i) : undefined), port: (port: string) => (port === 'metrics' ? own(1) : undefined) } as unknown as Service;
}
const from = (host: string) => ({ serviceName: 'prometheus', host }) as unknown as Service;

describe('reaching replicas (scrape targets)', () => {
  it('on the same host: each replica by its container name and the container port', () => {
    expect(reach.replicas(from('core'), service('api', 'core', [9001, 9002, 9003]), 'metrics')).toEqual({ addresses: ['prod-api-1:8000', 'prod-api-2:8000', 'prod-api-3:8000'] });
  });

  it('from another host: the target host\'s address and each replica\'s published port', () => {
    expect(reach.replicas(from('worker'), service('api', 'core', [9001, 9002]), 'metrics')).toEqual({ addresses: ['10.0.0.1:9001', '10.0.0.1:9002'] });
  });

  it('a replica without the port, or not published to another host, is left out', () => {
    expect(reach.replicas(from('core'), service('pool', 'core', [9001, 'none', 9003]), 'metrics')).toEqual({ addresses: ['prod-pool-1:8000', 'prod-pool-3:8000'] });
    expect(reach.replicas(from('worker'), service('pool', 'core', [9001, undefined, 'none', 9004]), 'metrics')).toEqual({ addresses: ['10.0.0.1:9001', '10.0.0.1:9004'] });
  });

  it('a host without an address cannot be reached from another host: nothing', () => {
    expect(reach.replicas(from('core'), service('api', 'bare', [9001]), 'metrics')).toEqual({ addresses: [] });
    expect(reach.replicas(from('core'), service('api', 'unknown-host', [9001]), 'metrics')).toEqual({ addresses: [] });
  });
});

describe('reaching a service (any replica)', () => {
  it('on the same host: its name, which is its alias on the network, and the container port', () => {
    expect(reach.service(from('core'), service('api', 'core', [9001]), 'metrics')).toBe('api:8000');
  });

  it('from another host: the host\'s address and the published port, else the container port', () => {
    expect(reach.service(from('worker'), service('api', 'core', [9001]), 'metrics')).toBe('10.0.0.1:9001');
    expect(reach.service(from('worker'), service('api', 'core', [undefined]), 'metrics')).toBe('10.0.0.1:8000');
  });

  it('a host without an address: its name', () => {
    expect(reach.service(from('core'), service('api', 'bare', [9001]), 'metrics')).toBe('bare:9001');
    // a host the model does not list (a model made in code): its name too
    expect(reach.service(from('core'), service('api', 'elsewhere', [9001]), 'metrics')).toBe('elsewhere:9001');
  });
});
