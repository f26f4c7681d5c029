/**
 * Shared machinery for constructs that run an application image (web, singleton, job,
 * generic service): image, env, secrets, ports, routes, healthcheck, resources, and the
 * intent methods `uses()` and `after()`. Each construct stays a thin, documented shell.
 */
import { Construct } from 'constructs';
import { EnvironmentStack } from './environment-stack';
import { isLoopback, parseImage, Service, type DependencyCondition, type FileOwner, type HealthcheckSpec } from './service';
import type { UpdatePolicyRequest } from './update-policy';
import { durationToSeconds, limits, type Origin } from './values';

/** Something a workload can use: it wires connection settings and secrets into the consumer. */
export interface Connectable {
  readonly service: Service;
  /** Adds what `consumer` needs to reach this (env, secret files) and a `healthy` dependency. */
  connect(consumer: Service): void;
}

export interface HealthcheckOptions {
  readonly test: readonly string[] | string;
  /** @default 10s */
  readonly interval?: string;
  /** @default 5s */
  readonly timeout?: string;
  /** @default 5 */
  readonly retries?: number;
  /** @default 10s */
  readonly startPeriod?: string;
}

export function healthcheck(o: HealthcheckOptions): HealthcheckSpec {
  return {
    test: typeof o.test === 'string' ? ['CMD-SHELL', o.test] : [...o.test],
    intervalSeconds: durationToSeconds(o.interval ?? '10s'),
    timeoutSeconds: durationToSeconds(o.timeout ?? '5s'),
    retries: o.retries ?? 5,
    startPeriodSeconds: durationToSeconds(o.startPeriod ?? '10s'),
  };
}

export interface WorkloadProps {
  /** Host the service runs on. */
  readonly host: string;
  /** Image repository, optionally with `:tag`. */
  readonly image: string;
  /** @default - the tag in `image`, else untagged */
  readonly tag?: string;
  /** Use the environment's release tag (`tag` is then its default, for checks). @default false */
  readonly release?: boolean;
  /** @default - the image's command */
  readonly command?: readonly string[];
  /** @default - the image's entrypoint */
  readonly entrypoint?: readonly string[];
  /** Plain settings. Never secrets: list those in `secrets`. @default {} */
  readonly env?: Readonly<Record<string, string | number | boolean>>;
  /** Declared secret names this service needs (least privilege). @default [] */
  readonly secrets?: readonly (string | { readonly name: string; readonly as?: 'file' | 'env' })[];
  /** Container port serving HTTP (named `http`). @default - none */
  readonly port?: number;
  /** More named ports; `metrics` is what Prometheus scrapes. @default {} */
  readonly ports?: Readonly<Record<string, number | { readonly container: number; readonly publish?: number; readonly bind?: string }>>;
  /** Proxy rule; needs `port`. @default - not routed */
  readonly route?: string;
  /** @default - all proxy entrypoints */
  readonly entrypoints?: readonly string[];
  /** HTTP health path on `port`; builds a curl healthcheck. @default - none */
  readonly health?: string;
  /** Explicit healthcheck; wins over `health`. @default - none */
  readonly healthcheck?: HealthcheckOptions;
  /** @default - unlimited */
  readonly cpus?: number;
  /** e.g. 512m. @default - unlimited */
  readonly memory?: string;
  /** @default 1 */
  readonly replicas?: number;
  /** Persistent volumes: name → mount path. @default {} */
  readonly volumes?: Readonly<Record<string, string>>;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Time to stop before SIGKILL, e.g. 30s. @default - STOP_GRACE_SECONDS for the kind */
  readonly stopGracePeriod?: string;
  /** uid/gid the image reads its secret files as (its USER). @default - root */
  readonly secretsOwner?: FileOwner;
  /** Update order, parallelism, drain and stop grace (lib/update-policy.ts). @default - the defaults for the kind */
  readonly update?: UpdatePolicyRequest;
  /** @default - construct path */
  readonly origin?: Origin;
}

export abstract class Workload extends Construct implements Connectable {
  readonly service: Service;

  protected constructor(scope: Construct, id: string, kind: string, props: WorkloadProps, extra: { singleton?: boolean; oneShot?: { timeoutSeconds: number }; schedule?: { cron: string; command: readonly string[] }; stopGraceSeconds?: number } = {}) {
    super(scope, id);
    const port = props.port;
    const hc = props.healthcheck
      ? healthcheck(props.healthcheck)
      : props.health && port
        ? healthcheck({ test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', `http://localhost:${port}${props.health}`] })
        : undefined;
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      image: { ...parseImage(props.image, props.tag), release: props.release },
      kind,
      command: props.command,
      entrypoint: props.entrypoint,
      replicas: props.replicas ?? 1,
      singleton: extra.singleton,
      oneShot: extra.oneShot,
      schedule: extra.schedule,
      healthcheck: hc,
      ...limits(props),
      labels: props.labels,
      stopGraceSeconds: props.stopGracePeriod !== undefined ? durationToSeconds(props.stopGracePeriod) : extra.stopGraceSeconds,
      secretsOwner: props.secretsOwner,
      update: props.update,
      origin: props.origin,
    });
    for (const [k, v] of Object.entries(props.env ?? {})) this.service.addEnv(k, String(v));
    for (const s of props.secrets ?? []) {
      if (typeof s === 'string') this.service.addSecret(s);
      else this.service.addSecret(s.name, { as: s.as });
    }
    if (port) this.service.addPort('http', port);
    for (const [name, p] of Object.entries(props.ports ?? {})) {
      if (typeof p === 'number') this.service.addPort(name, p);
      else this.service.addPort(name, p.container, p.publish, p.bind);
    }
    if (props.route && port) this.service.addRoute({ rule: props.route, port, entrypoints: props.entrypoints, healthPath: props.health });
    for (const [name, path] of Object.entries(props.volumes ?? {})) this.service.addVolume(name, path);
  }

  /** Wires a database, cache or other service this one needs; waits for it to be healthy. */
  uses(target: Connectable): this {
    target.connect(this.service);
    return this;
  }

  /** Starts only after a one-shot job completed successfully. */
  after(job: { readonly service: Service }): this {
    this.service.dependOn(job.service, 'completed');
    return this;
  }

  dependsOn(target: { readonly service: Service }, condition: DependencyCondition): this {
    this.service.dependOn(target.service, condition);
    return this;
  }

  /** Another workload using this one gets `<NAME>_URL` pointing at its HTTP port. */
  connect(consumer: Service): void {
    const http = this.service.port('http');
    consumer.dependOn(this.service, this.service.healthcheck ? 'healthy' : 'started');
    if (!http) return;
    const ep = endpoint(this.service, 'http', consumer);
    if (ep) consumer.addEnv(`${envName(this.service.serviceName)}_URL`, `http://${ep.host}:${ep.port}`);
  }
}

export function envName(serviceName: string): string {
  return serviceName.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * How `from` reaches `target`'s named port: by service name on the same host, by the target
 * host's address and published port across hosts. Records a positioned problem when it can't.
 */
export function endpoint(target: Service, portName: string, from: Service): { host: string; port: number } | undefined {
  const port = target.port(portName);
  if (!port) return undefined;
  const stack = EnvironmentStack.of(target);
  // on one Docker host, and anywhere in a Kubernetes namespace, a service is reached by its name
  if (target.host === from.host || stack.platform === 'kubernetes') return { host: target.serviceName, port: port.container };
  const address = stack.hosts.get(target.host)?.address;
  const where = from.origin.locate('uses');
  if (!address) {
    stack.wiringProblems.push({ ...where, message: `uses ${target.serviceName} on host ${target.host}, which has no \`address:\`; give hosts.${target.host}.address so other hosts can reach it` });
    return undefined;
  }
  if (port.publish === undefined) {
    stack.wiringProblems.push({ ...where, message: `uses ${target.serviceName} from another host, but ${target.serviceName} does not publish its ${portName} port; set \`publish:\` on it` });
    return undefined;
  }
  if (port.bind && isLoopback(port.bind) && !isLoopback(address)) {
    stack.wiringProblems.push({ ...where, message: `uses ${target.serviceName} from host ${from.host}, but ${target.serviceName} publishes its ${portName} port on ${port.bind} only; set \`bind:\` on it to an address host ${from.host} reaches (e.g. 0.0.0.0 or the host's private address)` });
    return undefined;
  }
  return { host: address, port: port.publish };
}
