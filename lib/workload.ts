/**
 * Shared machinery for constructs that run an application image (web, singleton, job,
 * generic service, Celery, scheduled job): image, env, secrets, ports, routes, healthcheck,
 * resources, and the intent methods `uses()` and `after()`. Each construct stays a thin,
 * documented shell whose props come from its kind's schema.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from './config/fields';
import { Environment } from './environment';
import { defaults, entryProps, type BuildContext, type ConstructProps, type Resolved } from './kind';
import { isLoopback, parseImage, Service, type Connectable, type DependencyCondition, type HealthcheckSpec } from './service';
import { durationToSeconds, limits } from './values';

export type { Connectable } from './service';

export type HealthcheckOptions = z.input<typeof f.Healthcheck>;

/** A healthcheck in the model's form; defaults from the schema's `healthcheck:` fields. */
export function healthcheck(o: HealthcheckOptions): HealthcheckSpec {
  const h = defaults(f.Healthcheck, o);
  return {
    test: typeof h.test === 'string' ? ['CMD-SHELL', h.test] : [...h.test],
    intervalSeconds: durationToSeconds(h.interval),
    timeoutSeconds: durationToSeconds(h.timeout),
    retries: h.retries,
    startPeriodSeconds: durationToSeconds(h.startPeriod),
  };
}

/** Every field a workload kind may have (each kind's schema picks its own subset). */
export const WorkloadFields = z.strictObject({ ...f.common, ...f.image, ...f.routed, replicas: f.replicas.default(1) });

type Full = Resolved<typeof WorkloadFields>;
type Optional = 'port' | 'ports' | 'route' | 'entrypoints' | 'health' | 'replicas' | 'command';
/** What the Workload base reads: a workload kind's props with its schema's defaults filled in. */
export type WorkloadSpec = Omit<Full, Optional> & Partial<Pick<Full, Optional>> & {
  /** Deployed with the environment's release tag (`tag` is then its default, for checks). @default false */
  readonly release?: boolean;
};

/** Props of a workload construct, derived from its kind's schema. */
export type WorkloadProps<S extends z.ZodType> = ConstructProps<S> & {
  /** Use the environment's release tag (`tag` is then its default, for checks). @default false */
  readonly release?: boolean;
};

export abstract class Workload extends Construct implements Connectable {
  readonly service: Service;

  protected constructor(scope: Construct, id: string, kind: Service['kind'], props: WorkloadSpec, extra: { singleton?: boolean; oneShot?: { timeoutSeconds: number }; schedule?: { cron: string; command: readonly string[] }; stopGraceSeconds?: number } = {}) {
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
      ...limits(props.resources),
      labels: props.labels,
      stopGraceSeconds: props.stopGracePeriod !== undefined ? durationToSeconds(props.stopGracePeriod) : extra.stopGraceSeconds,
      secretsOwner: props.secretsOwner,
      update: props.update,
      origin: props.origin,
    });
    for (const [k, v] of Object.entries(props.env)) this.service.addEnv(k, String(v));
    for (const s of props.secrets) {
      if (typeof s === 'string') this.service.addSecret(s);
      else this.service.addSecret(s.name, { as: s.as });
    }
    if (port) this.service.addPort('http', port);
    for (const [name, p] of Object.entries(props.ports ?? {})) {
      if (typeof p === 'number') this.service.addPort(name, p);
      else this.service.addPort(name, p.container, p.publish, p.bind);
    }
    if (props.route && port) this.service.addRoute({ rule: props.route, port, entrypoints: props.entrypoints, healthPath: props.health });
    for (const [name, path] of Object.entries(props.volumes)) this.service.addVolume(name, path);
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
    consumer.dependOn(this.service, this.service.healthcheck ? 'healthy' : 'started');
    const ep = endpoint(this.service, 'http', consumer); // none without an http port
    if (ep) consumer.addEnv(`${envName(this.service.serviceName)}_URL`, `http://${ep.host}:${ep.port}`);
  }
}

/** The image a workload entry runs: its own tag, or the environment's release tag when its image is released. */
export function releasedImage(svc: { readonly image: string; readonly tag?: string }, release?: { readonly tag: string; readonly images: readonly string[] }): { tag?: string; release: boolean } {
  const released = svc.tag === undefined && !!release?.images.includes(svc.image);
  return { tag: released ? release!.tag : svc.tag, release: released };
}

/** A workload entry as its construct's props: entryProps() with the image tag, its own or the release's. */
export function workloadProps<T extends { readonly image: string; readonly tag?: string }>(svc: T, ctx: BuildContext) {
  return { ...entryProps(svc, ctx), ...releasedImage(svc, ctx.release) };
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
  const environment = Environment.of(target);
  // on one Docker host, and anywhere in a Kubernetes namespace, a service is reached by its name
  if (target.host === from.host || environment.platform === 'kubernetes') return { host: target.serviceName, port: port.container };
  const address = environment.hosts.get(target.host)?.address;
  const where = from.origin.locate('uses');
  if (!address) {
    environment.wiringProblems.push({ ...where, message: `uses ${target.serviceName} on host ${target.host}, which has no \`address:\`; give hosts.${target.host}.address so other hosts can reach it` });
    return undefined;
  }
  if (port.publish === undefined) {
    environment.wiringProblems.push({ ...where, message: `uses ${target.serviceName} from another host, but ${target.serviceName} does not publish its ${portName} port; set \`publish:\` on it` });
    return undefined;
  }
  if (port.bind && isLoopback(port.bind) && !isLoopback(address)) {
    environment.wiringProblems.push({ ...where, message: `uses ${target.serviceName} from host ${from.host}, but ${target.serviceName} publishes its ${portName} port on ${port.bind} only; set \`bind:\` on it to an address host ${from.host} reaches (e.g. 0.0.0.0 or the host's private address)` });
    return undefined;
  }
  return { host: address, port: port.publish };
}
