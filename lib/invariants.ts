/**
 * The model stage of the validation pipeline (lib/validation.ts): named rules over the built
 * model (not the raw file), so constructs used from code get the same checks, each with its own
 * message and the position of the offending value. The Terraform stack (lib/terraform/stack.ts)
 * registers them with node.addValidation for models built from code; lib/build.ts runs them once
 * for files.
 */
import type { Position, Problem } from './config/errors';
import { runRules, type Rule } from './validation';
import type { EnvironmentModel } from './model';
import { MIN_MEMORY_MB } from './config/fields';
import { cpusAsRead } from './docker/readback';
import { imageName, isLoopback, secretsIn, type PortSpec, type Service } from './service';
import { updatePolicyProblems } from './update-policy';

/** A tag that moves: `latest` anywhere in it (latest, latest-pg16, 16-latest, stable-LATEST). */
export const FLOATING_TAG = /latest/i;

type Located = Position & { readonly path: string };
type ModelRule = Rule<EnvironmentModel, Located>;
type Report = (where: Located, message: string) => void;

/** `report` at a path below a service's entry. */
const on = (report: Report) => (s: Service, sub: string, message: string) => report(s.origin.locate(sub), message);

const docker = (stack: EnvironmentModel) => stack.platform === 'docker';

/** The model rules, in the order they run (README "Validation order" lists them). */
export const MODEL_RULES: readonly ModelRule[] = [
  {
    name: 'wiring',
    what: 'what the constructs found while wiring (a reference across hosts without an address or a published port, ...)',
    check: (stack, report) => { for (const p of stack.wiringProblems) report(p, p.message); },
  },
  {
    name: 'unique-names',
    what: 'service names are unique (constructs from code can collide; file keys cannot)',
    check: (stack, report) => {
      const seen = new Set<string>();
      for (const s of stack.services) {
        if (seen.has(s.serviceName)) on(report)(s, '', `two services are named ${s.serviceName}; names must be unique in an environment`);
        seen.add(s.serviceName);
      }
    },
  },
  {
    name: 'known-hosts',
    what: 'every service runs on a declared host',
    check: (stack, report) => {
      for (const s of stack.services) if (!stack.hosts.has(s.host)) on(report)(s, 'host', `unknown host ${JSON.stringify(s.host)}; declared hosts: ${[...stack.hosts.keys()].join(', ')}`);
    },
  },
  {
    name: 'update-policy',
    what: 'an `update:` the service can have: none for jobs, start-first only where two copies may run, parallelism and drain only with start-first',
    check: (stack, report) => { for (const s of stack.services) for (const p of updatePolicyProblems(s)) report(p, p.message); },
  },
  {
    name: 'singletons',
    what: 'a singleton runs exactly one replica',
    check: (stack, report) => {
      for (const s of stack.services) if (s.singleton && s.replicas !== 1) on(report)(s, 'replicas', `${s.serviceName} is a singleton and must run exactly 1 replica, got ${s.replicas}; remove \`replicas\` or use kind: web`);
    },
  },
  {
    name: 'declared-secrets',
    what: 'every secret a service reads, or a file embeds, is declared',
    check: (stack, report) => {
      for (const s of stack.services) {
        for (const sec of s.secrets) if (!stack.hasSecret(sec.name)) on(report)(s, 'secrets', `uses secret ${sec.name}, which is not declared; add it to the top-level \`secrets:\` list`);
        for (const name of s.files.flatMap(secretsIn)) if (!stack.hasSecret(name)) on(report)(s, '', `needs secret ${name}, which is not declared; add it to the top-level \`secrets:\` list`);
      }
    },
  },
  {
    name: 'pinned-tags',
    what: 'production images have a fixed tag (not latest)',
    check: (stack, report) => {
      if (!stack.production) return;
      for (const s of stack.services) {
        const tag = s.image.tag;
        if (tag && !FLOATING_TAG.test(tag)) continue;
        const message = `image ${imageName(s.image)} is not pinned; production needs a fixed tag (e.g. tag: "sha-a1b2c3d" or "17.6")`;
        if (s.image.release && stack.origin) report({ ...stack.origin.locate('release.tag') }, `${message}, used by ${s.serviceName}`);
        else on(report)(s, s.image.tag ? 'tag' : 'image', message);
      }
    },
  },
  {
    name: 'dependencies',
    what: 'a service waits for health only of one with a healthcheck, and runs after one-shot jobs only',
    check: (stack, report) => {
      for (const s of stack.services) {
        for (const d of s.dependencies) {
          if (d.condition === 'healthy' && !d.service.healthcheck) {
            on(report)(s, 'uses', `waits for ${d.service.serviceName} to be healthy, but ${d.service.serviceName} has no healthcheck; give it \`health:\` or \`healthcheck:\``);
          }
          if (d.condition === 'completed' && !d.service.oneShot) {
            on(report)(s, 'after', `runs after ${d.service.serviceName}, which is not a one-shot job (kind: job) and never completes`);
          }
        }
      }
    },
  },
  {
    name: 'routes',
    what: 'routed services (Docker) have a proxy on their host and name its entrypoints',
    check: (stack, report) => {
      if (!docker(stack)) return;
      for (const s of stack.services) {
        if (s.routes.length === 0) continue;
        if (!stack.proxy) on(report)(s, 'route', 'has a route but the environment has no proxy; add a service of kind: traefik');
        else if (stack.proxy.service.host !== s.host) {
          on(report)(s, 'route', `is routed by the proxy on host ${stack.proxy.service.host} but runs on ${s.host}; run routed services on the proxy's host`);
        } else {
          for (const r of s.routes) {
            for (const e of r.entrypoints ?? []) {
              if (!stack.proxy.entrypoints.includes(e)) on(report)(s, 'entrypoints', `unknown proxy entrypoint ${JSON.stringify(e)}; the proxy has ${stack.proxy.entrypoints.join(', ')}`);
            }
          }
        }
      }
    },
  },
  {
    name: 'hostnames',
    what: 'container hostnames (Docker) fit the 63 characters of a DNS label',
    check: (stack, report) => {
      if (!docker(stack)) return;
      for (const s of stack.services) {
        // the container name is also its hostname, which Linux limits to 63 characters (a DNS label)
        const hostname = `${stack.environmentName}-${s.serviceName}-${s.replicas}`;
        if (hostname.length > 63) on(report)(s, '', `container hostname ${hostname} would be ${hostname.length} characters, over the 63 a hostname may have; shorten the environment or service name`);
      }
    },
  },
  {
    name: 'storage',
    what: 'a Kubernetes environment whose services keep data names a storage class',
    check: (stack, report) => {
      if (stack.platform !== 'kubernetes' || stack.kubernetes?.storageClass) return;
      for (const s of stack.services) if (s.volumes.length) on(report)(s, '', 'keeps data in a volume, and a Kubernetes environment needs `kubernetes.storageClass` for its claims');
    },
  },
  {
    name: 'resources',
    what: "memory at least Docker's minimum; cpus the provider reads back as given",
    check: (stack, report) => {
      for (const s of stack.services) {
        if (s.memoryMb !== undefined && s.memoryMb < MIN_MEMORY_MB) {
          on(report)(s, 'resources.memory', `memory limit of ${s.memoryMb} MiB is below Docker's minimum of ${MIN_MEMORY_MB} MiB; give at least ${MIN_MEMORY_MB}m`);
        }
        if (docker(stack) && s.cpus !== undefined && cpusAsRead(s.cpus) === undefined) {
          on(report)(s, 'resources.cpus', `cpus ${s.cpus} is read back by the docker provider as another value (it rounds some small fractions), so every plan would replace the container; use a limit such as 0.1, 0.25, 0.5 or 1.5`);
        }
      }
    },
  },
  {
    name: 'published-replicas',
    what: 'a service publishing a host port (Docker) runs one replica',
    check: (stack, report) => {
      if (!docker(stack)) return;
      for (const s of stack.services) {
        if (s.replicas > 1 && s.ports.some((p) => p.publish !== undefined)) on(report)(s, 'ports', `publishes a host port but runs ${s.replicas} replicas, which would collide on the host; route it through the proxy or use one replica`);
      }
    },
  },
  {
    name: 'reachable-ports',
    what: 'ports other hosts reach (NFS, scraping, datasources) listen on more than the loopback interface',
    check: (stack, report) => {
      if (!docker(stack)) return;
      const addressOf = (s: Service) => stack.hosts.get(s.host)?.address;
      const loopbackOnly = (s: Service, p: PortSpec | undefined) => {
        const address = addressOf(s);
        return !!p && p.publish !== undefined && !!p.bind && isLoopback(p.bind) && !!address && !isLoopback(address);
      };
      const fix = (s: Service, p: PortSpec, who: string) =>
        `${who} reach${who.endsWith('s') ? '' : 'es'} ${s.serviceName} at ${addressOf(s)}:${p.publish}, but it listens on ${p.bind} only; set \`bind:\` here to an address they reach (e.g. 0.0.0.0 or the host's private address)`;
      const nfsServers = new Set([...stack.nfsVolumes.values()].map((v) => v.server));
      for (const s of stack.services) {
        if (nfsServers.has(s) && loopbackOnly(s, s.port('nfs'))) on(report)(s, 'bind', fix(s, s.port('nfs')!, 'the hosts mounting its NFS volumes'));
      }
      for (const { from, targets } of stack.reaches) {
        for (const { service: target, port } of targets()) {
          if (target.host === from.host) continue;
          const own = Array.from({ length: target.replicas }, (_, i) => target.replicaPort(i + 1, port));
          const p = own.find((q) => loopbackOnly(target, q));
          if (p) on(report)(target, 'bind', fix(target, p, `${from.serviceName} on host ${from.host}`));
        }
      }
    },
  },
  {
    name: 'host-ports',
    what: 'no two services (or replicas) publish one host port (Docker)',
    check: (stack, report) => {
      if (!docker(stack)) return;
      const byHostPort = new Map<string, string>();
      for (const s of stack.services) {
        for (const { replica, port } of s.publishedPorts()) {
          const key = `${s.host}:${port.publish}`;
          const who = s.perReplica ? `${s.serviceName} (replica ${replica})` : s.serviceName;
          const other = byHostPort.get(key);
          if (other && other !== who) on(report)(s, 'ports', `publishes host port ${port.publish} on host ${s.host}, which ${other} already publishes; choose another port`);
          else byHostPort.set(key, who);
        }
      }
    },
  },
  {
    name: 'dependency-cycles',
    what: 'uses / after / dependsOn form no cycle',
    check: (stack, report) => {
      const state = new Map<string, 'visiting' | 'done'>();
      const visit = (s: Service, trail: Service[]) => {
        const st = state.get(s.serviceName);
        if (st === 'done') return;
        if (st === 'visiting') {
          const cycle = [...trail.slice(trail.indexOf(s)), s].map((x) => x.serviceName).join(' → ');
          on(report)(s, 'uses', `dependency cycle: ${cycle}; break it by removing one of these uses/after entries`);
          return;
        }
        state.set(s.serviceName, 'visiting');
        for (const d of s.dependencies) visit(d.service, [...trail, s]);
        state.set(s.serviceName, 'done');
      };
      for (const s of [...stack.services].sort((a, b) => a.serviceName.localeCompare(b.serviceName))) visit(s, []);
    },
  },
];

/** Every model rule's problems (all errors). */
export function checkEnvironment(stack: EnvironmentModel): Problem[] {
  return runRules(MODEL_RULES, stack, (where) => where).map(({ file, line, col, path, message }) => ({ file, line, col, path, message }));
}
