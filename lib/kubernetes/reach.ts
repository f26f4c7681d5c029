/**
 * How services reach each other in a Kubernetes namespace: through the cluster's DNS, by Service
 * name (the Docker target's container names do not exist in a cluster).
 *
 *   one replica  → `<service>.<namespace>.svc:<port>` (the service's own Service)
 *   several      → `<service>-<port>.<namespace>.svc`, a headless Service whose A records are the
 *                  ready pods' addresses: every replica is reached, not whichever one the
 *                  ClusterIP picks (Prometheus scrapes each)
 */
import type { EnvironmentModel } from '../model';
import type { Reach, Service } from '../service';

/** The container port of a named port (a worker pool's pods all use the first replica's ports). */
export function containerPort(s: Service, port: string): number {
  return (s.perReplica?.(1).ports?.find((p) => p.name === port) ?? s.port(port)!).container;
}

/** The headless Service through which the replicas of a service's port are reached one by one. */
export const perReplicaServiceName = (s: Service, port: string): string => `${s.serviceName}-${port}`;

export function kubernetesReach(namespace: string): Reach {
  return {
    replicas(_from, target, port) {
      const p = containerPort(target, port);
      return target.replicas > 1
        ? { dnsName: `${perReplicaServiceName(target, port)}.${namespace}.svc`, port: p }
        : { addresses: [`${target.serviceName}.${namespace}.svc:${p}`] };
    },
    // its Service, by name, from any node of the namespace
    service: (_from, target, port) => `${target.serviceName}:${target.port(port)!.container}`,
  };
}

/** The ports others reach replica by replica, by service name: each gets a headless Service. */
export function reachedPerReplica(model: EnvironmentModel): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of model.reaches) {
    for (const { service, port } of r.targets()) {
      if (service.replicas <= 1 || !service.hasPort(port)) continue;
      const ports = out.get(service.serviceName) ?? [];
      if (!ports.includes(port)) ports.push(port);
      out.set(service.serviceName, ports.sort());
    }
  }
  return out;
}
