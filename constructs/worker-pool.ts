import { Construct } from 'constructs';
import { EnvironmentStack } from '../lib/environment-stack';
import { isLoopback, LOOPBACK, parseImage, Service, STOP_GRACE_SECONDS, type FileOwner } from '../lib/service';
import type { UpdatePolicyRequest } from '../lib/update-policy';
import { durationToSeconds, limits, type Origin } from '../lib/values';
import { endpoint, type Connectable } from '../lib/workload';

export interface WorkerPoolProps {
  /** Usually the backend's image: workers run the same code with another command (seed 003). */
  readonly image: string;
  /** @default - the tag in `image` */
  readonly tag?: string;
  readonly command: readonly string[];
  /** WORKER_TYPE, e.g. backtesting or training. */
  readonly type: string;
  /** Replicas per host, e.g. { workers-b: 2, workers-c: 2 } (seed 003's scale-2 profile). */
  readonly hosts: Readonly<Record<string, number>>;
  /** First port; each replica gets the next free one on its host, shared with other pools. @default 5003 */
  readonly basePort?: number;
  /** Per replica. @default - unlimited */
  readonly cpus?: number;
  /** Per replica, e.g. 3g. @default - unlimited */
  readonly memory?: string;
  /** @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly secrets?: readonly string[];
  /** Host address the published port(s) listen on. @default 127.0.0.1 (this host only) */
  readonly bind?: string;
  /** Time a worker gets to finish its task on replace or destroy, e.g. 10m. @default - STOP_GRACE_SECONDS.worker */
  readonly stopGracePeriod?: string;
  /** uid/gid the image reads its secret files as. @default - root */
  readonly secretsOwner?: FileOwner;
  /** Stop grace (workers publish host ports, so they are stop-first). @default - the defaults for the kind */
  readonly update?: UpdatePolicyRequest;
  /** @default - construct path */
  readonly origin?: Origin;
}

/**
 * Workers spread over several hosts (seed 003's backtest and training pools). Each replica gets
 * its own port, allocated in sequence from `basePort` per host across every pool, and registers
 * itself under WORKER_PUBLIC_BASE_URL, built from its host's public address and that port.
 */
export class WorkerPool extends Construct {
  readonly services: Service[] = [];
  private readonly origin?: Origin;

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    super(scope, id);
    this.origin = props.origin;
    const stack = EnvironmentStack.of(this);
    for (const [host, replicas] of Object.entries(props.hosts)) {
      const first = stack.allocatePorts(host, props.basePort ?? 5003, replicas);
      const address = stack.hosts.get(host)?.address;
      if (!address && stack.hosts.has(host) && stack.platform === 'docker') {
        stack.wiringProblems.push({ ...(props.origin?.locate(`hosts.${host}`) ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: '' }), message: `worker host ${host} has no \`address:\`, but workers register with a public URL built from it; give hosts.${host}.address` });
      }
      const service = new Service(this, host, {
        name: `${id}-${host}`,
        host,
        kind: 'worker-pool',
        image: parseImage(props.image, props.tag),
        command: props.command,
        replicas,
        ...limits(props),
        stopGraceSeconds: props.stopGracePeriod !== undefined ? durationToSeconds(props.stopGracePeriod) : STOP_GRACE_SECONDS.worker,
        secretsOwner: props.secretsOwner,
        update: props.update,
        origin: props.origin,
        perReplica: (i) => {
          const port = first + i - 1;
          return {
            env: { WORKER_PORT: String(port), WORKER_PUBLIC_BASE_URL: `http://${address ?? host}:${port}` },
            ports: [{ name: 'worker', container: port, publish: port, bind: props.bind ?? LOOPBACK }],
          };
        },
      });
      service.addEnv('WORKER_TYPE', props.type).addEnv('WORKER_HOSTNAME', address ?? host);
      for (const [k, v] of Object.entries(props.env ?? {})) service.addEnv(k, v);
      for (const s of props.secrets ?? []) service.addSecret(s);
      this.services.push(service);
    }
  }

  /** Wires a database or cache into every worker of the pool. */
  uses(target: Connectable): this {
    for (const s of this.services) target.connect(s);
    return this;
  }

  /** Workers register with this service: `<envName>` gets its URL (across hosts by address). */
  registerWith(target: { readonly service: Service }, envName = 'API_URL'): this {
    const stack = EnvironmentStack.of(this);
    for (const s of this.services) {
      // the service calls the workers back at WORKER_PUBLIC_BASE_URL: the host's address, so not loopback only
      const address = stack.hosts.get(s.host)?.address;
      const worker = s.perReplica?.(1).ports?.find((p) => p.name === 'worker');
      if (stack.platform === 'docker' && address && !isLoopback(address) && worker?.bind && isLoopback(worker.bind)) {
        const where = this.origin?.locate('bind') ?? { file: `construct ${this.node.path}`, line: 0, col: 0, path: 'bind' };
        stack.wiringProblems.push({ ...where, message: `${target.service.serviceName} calls the workers on host ${s.host} back at ${address}:${worker.publish}, but they listen on ${worker.bind} only; set \`bind:\` here to an address it reaches (e.g. 0.0.0.0 or the host's private address)` });
      }
      const ep = endpoint(target.service, 'http', s);
      if (ep) s.addEnv(envName, `http://${ep.host}:${ep.port}`);
      s.dependOn(target.service, target.service.healthcheck ? 'healthy' : 'started');
    }
    return this;
  }
}
