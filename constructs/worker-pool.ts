import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { Environment } from '../lib/environment';
import { defineKind, withDefaults, type ConstructProps } from '../lib/kind';
import { isLoopback, LOOPBACK, parseImage, Service, STOP_GRACE_SECONDS } from '../lib/service';
import { durationToSeconds, limits, type Origin } from '../lib/values';
import { endpoint, type Connectable } from '../lib/workload';

export const WorkerPoolSchema = z.strictObject({
  kind: f.kind('worker-pool', 'Workers spread over several hosts, each replica on its own port (in sequence from `basePort` per host) registering with its public URL.'),
  image: f.image.image,
  tag: z.string().min(1).optional().describe('Image tag. Default: the tag in `image`.'),
  command: z.array(z.string()).min(1).describe('The workers\' command.'),
  type: z.string().min(1).describe('WORKER_TYPE, e.g. backtesting or training.'),
  hosts: z.record(z.string(), z.number().int().min(0).max(f.MAX_REPLICAS)).refine((h) => Object.keys(h).length > 0, 'name at least one host').describe('Replicas per host (or node pool), e.g. { workers-b: 2, workers-c: 2 } (seed 003\'s scale-2 profile).'),
  basePort: f.port.default(5003).describe('First port of the per-host sequence shared by every pool.'),
  bind: f.bind.optional().describe('Host address the workers\' ports listen on; the service they register with calls them back at the host\'s `address:`, so use one it reaches. Default: 127.0.0.1.'),
  registerWith: z.string().optional().describe('Service the workers register with; its URL goes to `registerEnv`. Default: none.'),
  registerEnv: z.string().regex(f.ENV_KEY, 'an environment variable name').default('API_URL').describe('Variable that receives the `registerWith` service\'s URL.'),
  env: f.common.env,
  secrets: z.array(f.secretName).default([]).describe('Declared secrets the workers read, as files under /run/secrets.'),
  uses: f.common.uses,
  resources: f.Resources.default({}).describe('CPU and memory limits per replica.'),
  tracing: f.common.tracing,
  metrics: z.boolean().default(false).describe('The workers serve Prometheus metrics at /metrics on their worker port (seed 003\'s do): the environment\'s Prometheus scrapes every replica there, across hosts at the host\'s address.'),
  mounts: f.common.mounts,
  stopGracePeriod: f.duration.optional().describe('Time a worker gets to finish its task on replace or destroy, e.g. 10m. Default: 2m.'),
  secretsOwner: f.common.secretsOwner,
  update: f.common.update,
});

export type WorkerPoolProps = Omit<ConstructProps<typeof WorkerPoolSchema>, 'host'>;

/**
 * Workers spread over several hosts (seed 003's backtest and training pools). Each replica gets
 * its own port, allocated in sequence from `basePort` per host across every pool, and registers
 * itself under WORKER_PUBLIC_BASE_URL, built from its host's public address and that port.
 */
export class WorkerPool extends Construct {
  readonly services: Service[] = [];
  private readonly origin?: Origin;
  /** The address the workers' ports listen on. */
  private readonly bind: string;
  /** Each host's Service and the port of its first worker. */
  private readonly firstPort = new Map<Service, number>();

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    super(scope, id);
    const p = withDefaults(WorkerPoolSchema, { ...props, host: '' });
    this.origin = p.origin;
    this.bind = p.bind ?? LOOPBACK;
    const environment = Environment.of(this);
    for (const [host, replicas] of Object.entries(p.hosts)) {
      const first = environment.allocatePorts(host, p.basePort, replicas);
      if (environment.platform === 'docker' && replicas > 0 && first + replicas - 1 > 65535) {
        environment.wiringProblems.push({ ...this.locate('basePort'), message: `needs host ports up to ${first + replicas - 1} on host ${host}, past 65535; lower \`basePort\` or the replicas` });
      }
      const address = environment.hosts.get(host)?.address;
      if (!address && environment.hosts.has(host) && environment.platform === 'docker') {
        environment.wiringProblems.push({ ...this.locate(`hosts.${host}`), message: `worker host ${host} has no \`address:\`, but workers register with a public URL built from it; give hosts.${host}.address` });
      }
      const service = new Service(this, host, {
        name: `${id}-${host}`,
        host,
        kind: 'worker-pool',
        image: parseImage(p.image, p.tag),
        command: p.command,
        replicas,
        ...limits(p.resources),
        stopGraceSeconds: p.stopGracePeriod !== undefined ? durationToSeconds(p.stopGracePeriod) : STOP_GRACE_SECONDS.worker,
        secretsOwner: p.secretsOwner,
        update: p.update,
        origin: p.origin,
        perReplica: (i) => {
          const port = first + i - 1;
          const worker = { container: port, publish: port, bind: this.bind };
          return {
            env: { WORKER_PORT: String(port), WORKER_PUBLIC_BASE_URL: `http://${address ?? host}:${port}` },
            // the metrics are served on the worker port: one port, two names (published once)
            ports: [{ name: 'worker', ...worker }, ...(p.metrics ? [{ name: 'metrics', ...worker }] : [])],
          };
        },
      });
      service.addEnv('WORKER_TYPE', p.type).addEnv('WORKER_HOSTNAME', address ?? host);
      for (const [k, v] of Object.entries(p.env)) service.addEnv(k, String(v));
      for (const s of p.secrets) service.addSecret(s);
      this.services.push(service);
      this.firstPort.set(service, first);
    }
  }

  private locate(path: string) {
    return this.origin?.locate(path) ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path };
  }

  /** Wires a database or cache into every worker of the pool. */
  uses(target: Connectable): this {
    for (const s of this.services) target.connect(s);
    return this;
  }

  /** Workers register with this service: `<envName>` gets its URL (across hosts by address). */
  registerWith(target: { readonly service: Service }, envName = 'API_URL'): this {
    const environment = Environment.of(this);
    if (!target.service.port('http')) {
      environment.wiringProblems.push({ ...this.locate('registerWith'), message: `${target.service.serviceName} has no \`http\` port for the workers to register with; give it one (\`ports: { http: ... }\`) or name another service` });
    }
    for (const s of this.services) {
      // the service calls the workers back at WORKER_PUBLIC_BASE_URL: the host's address (Docker hosts only have one), so not loopback only
      const address = environment.hosts.get(s.host)?.address;
      if (address && !isLoopback(address) && isLoopback(this.bind)) {
        environment.wiringProblems.push({ ...this.locate('bind'), message: `${target.service.serviceName} calls the workers on host ${s.host} back at ${address}:${this.firstPort.get(s)}, but they listen on ${this.bind} only; set \`bind:\` here to an address it reaches (e.g. 0.0.0.0 or the host's private address)` });
      }
      const ep = endpoint(target.service, 'http', s); // undefined after a problem it reported
      if (ep) s.addEnv(envName, `http://${ep.host}:${ep.port}`);
      s.dependOn(target.service, target.service.healthcheck ? 'healthy' : 'started');
    }
    return this;
  }
}

export const workerPoolKind = defineKind({
  kind: 'worker-pool',
  schema: WorkerPoolSchema,
  check(svc, ctx) {
    for (const h of Object.keys(svc.hosts)) if (!ctx.placements.includes(h)) ctx.report(['hosts', h], ctx.unknown(ctx.placementWord, h, ctx.placements));
    if (!svc.registerWith && svc.registerEnv !== 'API_URL') ctx.report(['registerEnv'], 'has no effect without `registerWith:` (it names the variable that receives that service\'s URL); add `registerWith:` or remove `registerEnv:`');
    if (svc.registerWith && !ctx.service(svc.registerWith)) ctx.report(['registerWith'], ctx.unknown('service', svc.registerWith, Object.keys(ctx.env.services)));
    if (svc.metrics && !Object.values(ctx.env.services).some((s) => s?.kind === 'prometheus')) {
      ctx.report(['metrics'], 'has no effect: the environment has no Prometheus to scrape the workers; add a service of kind: prometheus or remove `metrics`');
    }
  },
  build(svc, ctx) {
    const pool = new WorkerPool(ctx.environment, ctx.name, { ...svc, origin: ctx.origin });
    const connectable: Connectable = { service: pool.services[0], connect: (consumer) => pool.services.forEach((s) => consumer.dependOn(s, 'started')) };
    return { construct: pool, connectable, consumers: pool.services, use: (target) => pool.uses(target) };
  },
  wire(svc, self, ctx) {
    if (svc.registerWith) (self.construct as WorkerPool).registerWith(ctx.built(svc.registerWith).connectable, svc.registerEnv);
  },
});
