/**
 * How one service reaches another in a Kubernetes namespace (lib/kubernetes/reach.ts), on
 * hand-made services: the container port (a worker pool's from its first replica), one replica
 * by its Service, several through a headless Service per port, and which ports get one.
 * test/kubernetes.test.ts checks the manifests rendered from them.
 */
import { describe, expect, it } from 'vitest';
import { containerPort, kubernetesReach, reachedPerReplica } from '../lib/kubernetes/reach';
import type { EnvironmentModel } from '../lib/model';
import type { Service } from '../lib/service';

type Port = { name: string; container: number };
/** A service whose own ports are `own`; `perReplica`, when given, is what its first replica says. */
function service(name: string, replicas: number, own: Port[], perReplica?: { ports?: Port[] }): Service {
  return {
    serviceName: name,
    replicas,
    port: (p: string) => own.find((x) => x.name === p),
    hasPort: (p: string) => own.some((x) => x.name === p),
    ...(perReplica ? { perReplica: (i: number) => (i === 1 ? perReplica : undefined) } : {}),
  } as unknown as Service;
}

describe('reaching a service in a namespace', () => {
  const api = service('api', 1, [{ name: 'http', container: 8000 }]);

  it('the container port of the named port; a worker pool\'s from its first replica, else its own', () => {
    expect(containerPort(api, 'http')).toBe(8000);
    const pool = service('workers', 4, [{ name: 'metrics', container: 8000 }], { ports: [{ name: 'other', container: 1 }, { name: 'metrics', container: 5003 }] });
    expect(containerPort(pool, 'metrics')).toBe(5003);
    // the replica does not name that port, or has no ports: the service's own
    expect(containerPort(service('w', 2, [{ name: 'metrics', container: 8000 }], { ports: [{ name: 'other', container: 1 }] }), 'metrics')).toBe(8000);
    expect(containerPort(service('w', 2, [{ name: 'metrics', container: 8000 }], {}), 'metrics')).toBe(8000);
  });

  it('one replica by its Service, several through the headless Service of the port', () => {
    const reach = kubernetesReach('prod');
    expect(reach.replicas(api, api, 'http')).toEqual({ addresses: ['api.prod.svc:8000'] });
    const pool = service('workers', 3, [{ name: 'metrics', container: 9100 }]);
    expect(reach.replicas(api, pool, 'metrics')).toEqual({ dnsName: 'workers-metrics.prod.svc', port: 9100 });
    expect(reach.service(api, pool, 'metrics')).toBe('workers:9100');
  });

  it('the ports reached replica by replica: once each, sorted, only of services with several replicas that have the port', () => {
    const many = service('workers', 3, [{ name: 'metrics', container: 9100 }, { name: 'admin', container: 9000 }]);
    const from = api;
    const model = {
      reaches: [
        { from, targets: () => [{ service: many, port: 'metrics' }, { service: many, port: 'admin' }, { service: api, port: 'http' }] },
        // a second reacher of the same port, and a port the service does not have
        { from, targets: () => [{ service: many, port: 'metrics' }, { service: many, port: 'nope' }] },
      ],
    } as unknown as EnvironmentModel;
    expect(reachedPerReplica(model)).toEqual(new Map([['workers', ['admin', 'metrics']]]));
  });
});
