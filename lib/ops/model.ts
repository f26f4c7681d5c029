/**
 * The environment model the day-2 commands compare the hosts with: the environment file built in
 * memory (nothing written), its Docker hosts and the containers the Docker target names
 * `<env>-<service>-<n>` and labels `stackyard.service` / `stackyard.replica` (lib/docker/render.ts).
 */
import { loadEnvironments } from '../environments';
import { ConfigError, formatProblem } from '../config/errors';
import type { Environment, HostProps } from '../environment';
import { CliError } from '../cli/exit-codes';
import type { Service } from '../service';

export interface ExpectedContainer {
  readonly host: string;
  readonly service: string;
  readonly replica: number;
  readonly name: string;
  readonly kind: string;
  /** repository:tag as the file gives it; the tag is absent for released images (chosen at deploy time). */
  readonly image: string;
  /** A one-shot job: expected to have exited 0, not to run. */
  readonly oneShot: boolean;
  /** Has a healthcheck: must report healthy. */
  readonly healthchecked: boolean;
}

/** Builds one environment of a folder in memory; a mistake in the file is a CliError with every problem. */
export function loadModel(env: string, dir: string): Environment {
  let stacks: Environment[];
  try {
    stacks = loadEnvironments(dir, [env]);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`${e.problems.map(formatProblem).join('\n')}\n\n${e.problems.length} problem(s) found in the environment files.`);
    throw e;
  }
  const stack = stacks.find((s) => s.environmentName === env);
  if (!stack) throw new CliError(`no environment named ${env} in ${dir}/ (set ENVIRONMENTS_DIR for another folder)`);
  if (stack.platform === 'kubernetes') throw new CliError(`${env} runs on Kubernetes: use kubectl against namespace ${stack.kubernetes?.namespace ?? env}; this command talks to Docker hosts`);
  return stack;
}

export function containerName(env: string, service: string, replica: number): string {
  return `${env}-${service}-${replica}`;
}

/**
 * A container's replica name: without the revision a start-first replica carries
 * (`local-backend-1-3f5db583` → `local-backend-1`, lib/docker/render.ts); other names unchanged.
 */
export function replicaName(containerName: string): string {
  return containerName.replace(/-[0-9a-f]{8}$/, '');
}

export function expectedContainers(stack: Environment): ExpectedContainer[] {
  const out: ExpectedContainer[] = [];
  for (const s of stack.services) {
    for (let i = 1; i <= s.replicas; i++) {
      out.push({
        host: s.host,
        service: s.serviceName,
        replica: i,
        name: containerName(stack.environmentName, s.serviceName, i),
        kind: s.kind,
        image: s.image.release || !s.image.tag ? s.image.repository : `${s.image.repository}:${s.image.tag}`,
        oneShot: s.oneShot !== undefined,
        healthchecked: s.healthcheck !== undefined,
      });
    }
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.service.localeCompare(b.service) || a.replica - b.replica);
}

/** The hosts that run something, sorted by name. */
export function usedHosts(stack: Environment): HostProps[] {
  const names = [...new Set(stack.services.map((s) => s.host))].sort();
  return names.map((n) => stack.hosts.get(n)!).filter(Boolean);
}

/** A service by name, or a CliError naming the known ones. */
export function serviceOf(stack: Environment, name: string): Service {
  const s = stack.service(name);
  if (!s) {
    const known = stack.services.map((x) => x.serviceName).sort();
    throw new CliError(`${stack.environmentName} has no service ${JSON.stringify(name)}; its services: ${known.join(', ')}`);
  }
  return s;
}
