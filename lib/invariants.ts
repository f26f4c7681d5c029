/**
 * Invariants checked at synth, each with its own message and the position of the offending
 * value. They run over the built model (not the raw file), so constructs used from code get
 * the same checks; EnvironmentStack registers them with node.addValidation as well.
 */
import type { Problem } from './config/errors';
import type { EnvironmentModel } from './model';
import { MIN_MEMORY_MB } from './config/fields';
import { cpusAsRead } from './docker/readback';
import { imageName, isLoopback, secretsIn, type PortSpec, type Service } from './service';
import { updatePolicyProblems } from './update-policy';

/** A tag that moves: `latest` anywhere in it (latest, latest-pg16, 16-latest, stable-LATEST). */
export const FLOATING_TAG = /latest/i;

export function checkEnvironment(stack: EnvironmentModel): Problem[] {
  const problems: Problem[] = [...stack.wiringProblems];
  const services = stack.services;
  const at = (s: Service, sub: string, message: string) => problems.push({ ...s.origin.locate(sub), message });

  // duplicate names (constructs from code can collide; file keys cannot)
  const seen = new Map<string, Service>();
  for (const s of services) {
    if (seen.has(s.serviceName)) at(s, '', `two services are named ${s.serviceName}; names must be unique in an environment`);
    seen.set(s.serviceName, s);
  }

  for (const s of services) {
    if (!stack.hosts.has(s.host)) {
      at(s, 'host', `unknown host ${JSON.stringify(s.host)}; declared hosts: ${[...stack.hosts.keys()].join(', ')}`);
    }
    problems.push(...updatePolicyProblems(s));
    if (s.singleton && s.replicas !== 1) {
      at(s, 'replicas', `${s.serviceName} is a singleton and must run exactly 1 replica, got ${s.replicas}; remove \`replicas\` or use kind: web`);
    }
    for (const sec of s.secrets) {
      if (!stack.hasSecret(sec.name)) at(s, 'secrets', `uses secret ${sec.name}, which is not declared; add it to the top-level \`secrets:\` list`);
    }
    for (const name of s.files.flatMap(secretsIn)) {
      if (!stack.hasSecret(name)) at(s, '', `needs secret ${name}, which is not declared; add it to the top-level \`secrets:\` list`);
    }
    if (stack.production) {
      const tag = s.image.tag;
      if (!tag || FLOATING_TAG.test(tag)) {
        const message = `image ${imageName(s.image)} is not pinned; production needs a fixed tag (e.g. tag: "sha-a1b2c3d" or "17.6")`;
        if (s.image.release && stack.origin) problems.push({ ...stack.origin.locate('release.tag'), message: `${message}, used by ${s.serviceName}` });
        else at(s, s.image.tag ? 'tag' : 'image', message);
      }
    }
    for (const d of s.dependencies) {
      if (d.condition === 'healthy' && !d.service.healthcheck) {
        at(s, 'uses', `waits for ${d.service.serviceName} to be healthy, but ${d.service.serviceName} has no healthcheck; give it \`health:\` or \`healthcheck:\``);
      }
      if (d.condition === 'completed' && !d.service.oneShot) {
        at(s, 'after', `runs after ${d.service.serviceName}, which is not a one-shot job (kind: job) and never completes`);
      }
    }
    if (s.routes.length > 0 && stack.platform === 'docker') {
      if (!stack.proxy) at(s, 'route', 'has a route but the environment has no proxy; add a service of kind: traefik');
      else if (stack.proxy.service.host !== s.host) {
        at(s, 'route', `is routed by the proxy on host ${stack.proxy.service.host} but runs on ${s.host}; run routed services on the proxy's host`);
      } else {
        for (const r of s.routes) {
          for (const e of r.entrypoints ?? []) {
            if (!stack.proxy.entrypoints.includes(e)) at(s, 'entrypoints', `unknown proxy entrypoint ${JSON.stringify(e)}; the proxy has ${stack.proxy.entrypoints.join(', ')}`);
          }
        }
      }
    }
    if (stack.platform === 'docker') {
      // the container name is also its hostname, which Linux limits to 63 characters (a DNS label)
      const hostname = `${stack.environmentName}-${s.serviceName}-${s.replicas}`;
      if (hostname.length > 63) at(s, '', `container hostname ${hostname} would be ${hostname.length} characters, over the 63 a hostname may have; shorten the environment or service name`);
    }
    if (stack.platform === 'kubernetes' && s.volumes.length && !stack.kubernetes?.storageClass) {
      at(s, '', 'keeps data in a volume, and a Kubernetes environment needs `kubernetes.storageClass` for its claims');
    }
    if (s.memoryMb !== undefined && s.memoryMb < MIN_MEMORY_MB) {
      at(s, 'resources.memory', `memory limit of ${s.memoryMb} MiB is below Docker's minimum of ${MIN_MEMORY_MB} MiB; give at least ${MIN_MEMORY_MB}m`);
    }
    if (stack.platform === 'docker' && s.replicas > 1 && s.ports.some((p) => p.publish !== undefined)) {
      at(s, 'ports', `publishes a host port but runs ${s.replicas} replicas, which would collide on the host; route it through the proxy or use one replica`);
    }
    if (stack.platform === 'docker' && s.cpus !== undefined && cpusAsRead(s.cpus) === undefined) {
      at(s, 'resources.cpus', `cpus ${s.cpus} is read back by the docker provider as another value (it rounds some small fractions), so every plan would replace the container; use a limit such as 0.1, 0.25, 0.5 or 1.5`);
    }
  }

  // ports others reach through a host's address must listen on more than the loopback interface
  if (stack.platform === 'docker') {
    const addressOf = (s: Service) => stack.hosts.get(s.host)?.address;
    const loopbackOnly = (s: Service, p: PortSpec | undefined) => {
      const address = addressOf(s);
      return !!p && p.publish !== undefined && !!p.bind && isLoopback(p.bind) && !!address && !isLoopback(address);
    };
    const fix = (s: Service, p: PortSpec, who: string) =>
      `${who} reach${who.endsWith('s') ? '' : 'es'} ${s.serviceName} at ${addressOf(s)}:${p.publish}, but it listens on ${p.bind} only; set \`bind:\` here to an address they reach (e.g. 0.0.0.0 or the host's private address)`;
    const nfsServers = new Set([...stack.nfsVolumes.values()].map((v) => v.server));
    for (const s of services) {
      if (nfsServers.has(s) && loopbackOnly(s, s.port('nfs'))) at(s, 'bind', fix(s, s.port('nfs')!, 'the hosts mounting its NFS volumes'));
    }
    for (const { from, targets } of stack.reaches) {
      for (const { service: target, port } of targets()) {
        const p = target.port(port);
        if (target.host !== from.host && loopbackOnly(target, p)) at(target, 'bind', fix(target, p!, `${from.serviceName} on host ${from.host}`));
      }
    }
  }

  // host port collisions, replica by replica
  const byHostPort = new Map<string, string>();
  for (const s of stack.platform === 'docker' ? services : []) {
    for (const { replica, port } of s.publishedPorts()) {
      const key = `${s.host}:${port.publish}`;
      const who = s.perReplica ? `${s.serviceName} (replica ${replica})` : s.serviceName;
      const other = byHostPort.get(key);
      if (other && other !== who) at(s, 'ports', `publishes host port ${port.publish} on host ${s.host}, which ${other} already publishes; choose another port`);
      else byHostPort.set(key, who);
    }
  }

  // dependency cycles
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: Service, trail: Service[]) => {
    const st = state.get(s.serviceName);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(s)), s].map((x) => x.serviceName).join(' → ');
      at(s, 'uses', `dependency cycle: ${cycle}; break it by removing one of these uses/after entries`);
      return;
    }
    state.set(s.serviceName, 'visiting');
    for (const d of s.dependencies) visit(d.service, [...trail, s]);
    state.set(s.serviceName, 'done');
  };
  for (const s of [...services].sort((a, b) => a.serviceName.localeCompare(b.serviceName))) visit(s, []);
  return problems;
}
