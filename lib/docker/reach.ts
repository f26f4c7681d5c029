/**
 * How services reach each other on Docker hosts: on the same host by container name on the
 * environment's network, across hosts by the host's `address:` and the published port.
 */
import type { EnvironmentModel } from '../model';
import type { Reach } from '../service';

export function dockerReach(model: EnvironmentModel): Reach {
  return {
    replicas(from, target, port) {
      const addresses: string[] = [];
      for (let i = 1; i <= target.replicas; i++) {
        const own = target.replicaPort(i, port);
        if (!own) continue;
        if (target.host === from.host) addresses.push(`${model.environmentName}-${target.serviceName}-${i}:${own.container}`);
        else {
          const address = model.hosts.get(target.host)?.address;
          if (address && own.publish !== undefined) addresses.push(`${address}:${own.publish}`);
        }
      }
      return { addresses };
    },
    service(from, target, port) {
      const p = target.port(port)!;
      // the service name is its alias on the environment's network
      if (target.host === from.host) return `${target.serviceName}:${p.container}`;
      return `${model.hosts.get(target.host)?.address ?? target.host}:${p.publish ?? p.container}`;
    },
  };
}
