/**
 * Environment file → EnvironmentStack: instantiates one construct per service entry, wires
 * `uses` / `after` / `dependsOn`, runs the invariants and renders the Docker target. Every
 * user mistake becomes a positioned ConfigError; nothing is rendered when there is one.
 */
import type { Construct } from 'constructs';
import { Adminer } from '../constructs/adminer';
import { GenericService } from '../constructs/generic-service';
import { OneShotJob } from '../constructs/one-shot-job';
import { Postgres } from '../constructs/postgres';
import { Redis } from '../constructs/redis';
import { SingletonService } from '../constructs/singleton-service';
import { TraefikProxy } from '../constructs/traefik-proxy';
import { WebService } from '../constructs/web-service';
import { CeleryBeat } from '../constructs/celery-beat';
import { CeleryWorker } from '../constructs/celery-worker';
import { Grafana } from '../constructs/grafana';
import { Jaeger } from '../constructs/jaeger';
import { Prometheus } from '../constructs/prometheus';
import { WorkerPool } from '../constructs/worker-pool';
import { Alertmanager } from '../constructs/alertmanager';
import { NfsServer } from '../constructs/nfs-server';
import { PostgresBackup } from '../constructs/postgres-backup';
import { cronProblem, ScheduledJob } from '../constructs/scheduled-job';
import type { Service } from './service';
import { ConfigError, pathToString, suggest, type Problem } from './config/errors';
import { loadEnvironment, type LoadedEnvironment } from './config/load';
import { secretValueProblems } from './config/secret-values';
import type { ServiceConfig } from './config/schema';
import { positionOf } from './config/yaml-source';
import { renderDocker } from './docker/render';
import { renderGithub } from './github/render';
import { parseRouteRule } from './kubernetes/routes';
import { EnvironmentStack } from './environment-stack';
import { checkEnvironment } from './invariants';
import { DUPLICATE_GRACE, gracesGivenTwice } from './update-policy';
import type { Origin } from './values';
import type { Connectable, WorkloadProps } from './workload';

/** A user-named entry of a mapping, never something inherited from Object.prototype (`uses: [constructor]`). */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function buildEnvironmentFile(scope: Construct, file: string): EnvironmentStack {
  return buildEnvironment(scope, loadEnvironment(file));
}

export interface BuildOptions {
  /** Declared secrets another stack keeps at GitHub repository level (not copied per environment). @default [] */
  readonly repositorySecretsElsewhere?: readonly string[];
}

export function buildEnvironment(scope: Construct, loaded: LoadedEnvironment, options: BuildOptions = {}): EnvironmentStack {
  const { config, source } = loaded;
  const problems: Problem[] = [];
  const origin = (base: (string | number)[]): Origin => ({
    locate: (sub) => {
      const at = [...base, ...(sub ? sub.split('.') : [])];
      return { ...positionOf(source, at), path: pathToString(at) };
    },
  });
  const report = (at: (string | number)[], message: string) => problems.push({ ...positionOf(source, at), path: pathToString(at), message });
  const k8s = config.platform === 'kubernetes';
  // where services can be placed: Docker hosts, or a cluster's node pools
  const placements: Record<string, unknown> = k8s ? { ...(config.kubernetes?.nodePools ?? {}) } : config.hosts;
  if (k8s) {
    if (Object.keys(config.hosts).length) report(['hosts'], 'a Kubernetes environment has no Docker hosts; remove `hosts:` and place services on `kubernetes.nodePools` with `host:`');
    if (!config.kubernetes) report([], 'platform: kubernetes needs a `kubernetes:` section (namespace, nodePools, storageClass)');
  } else {
    if (config.kubernetes) report(['kubernetes'], 'only a `platform: kubernetes` environment takes a `kubernetes:` section; remove it or set the platform');
    if (!Object.keys(config.hosts).length) report(['hosts'], 'declare at least one Docker host, e.g. local: { docker: "unix:///var/run/docker.sock" }');
  }
  const hostNames = Object.keys(placements);
  const serviceNames = Object.keys(config.services);
  const unknown = (what: string, name: string, known: string[]) => {
    const hint = suggest(name, known);
    return `unknown ${what} ${JSON.stringify(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; known: ${known.join(', ') || 'none'}`}`;
  };

  // references the constructs need resolved before they can exist
  const hostOf = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    if (svc.kind === 'scheduled-job' || svc.kind === 'postgres-backup') {
      const problem = cronProblem(svc.schedule, { seconds: !k8s });
      if (problem) report([...at, 'schedule'], `invalid cron expression ${JSON.stringify(svc.schedule)}: ${problem}`);
    }
    if (svc.kind === 'alertmanager') {
      const names = Object.keys(svc.receivers);
      if (!names.includes(svc.defaultReceiver)) report([...at, 'defaultReceiver'], unknown('receiver', svc.defaultReceiver, names));
      svc.routes.forEach((r, i) => { if (!names.includes(r.receiver)) report([...at, 'routes', i, 'receiver'], unknown('receiver', r.receiver, names)); });
    }
    if (svc.kind === 'postgres-backup') {
      const target = own(config.services, svc.database);
      if (!target) report([...at, 'database'], unknown('service', svc.database, serviceNames));
      else if (target.kind !== 'postgres') report([...at, 'database'], `${svc.database} is a ${target.kind}, not a postgres service`);
    } else if (svc.kind === 'worker-pool') {
      for (const h of Object.keys(svc.hosts)) if (!own(placements, h)) report([...at, 'hosts', h], unknown(k8s ? 'node pool' : 'host', h, hostNames));
      if (svc.registerWith && !own(config.services, svc.registerWith)) report([...at, 'registerWith'], unknown('service', svc.registerWith, serviceNames));
    } else if (svc.host === undefined) {
      if (hostNames.length === 1) hostOf.set(name, hostNames[0]);
      else report([...at], `needs \`host:\`; this environment has several hosts (${hostNames.join(', ')})`);
    } else if (!own(placements, svc.host)) report([...at, 'host'], unknown(k8s ? 'node pool' : 'host', svc.host, hostNames));
    else hostOf.set(name, svc.host);
    if ((svc.kind === 'web' || svc.kind === 'singleton' || svc.kind === 'service') && svc.route && svc.port === undefined) {
      report([...at, 'route'], 'a routed service needs `port:`, the container port the proxy sends traffic to');
    }
    if (svc.kind === 'web' && svc.port === undefined) report(at, 'is required to have `port:` (kind: web serves HTTP behind the proxy)');
    if ('uses' in svc) {
      svc.uses.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'uses', i], unknown('service', u, serviceNames)); });
      if ('tracing' in svc && svc.tracing && !Object.values(config.services).some((x) => x.kind === 'jaeger')) {
        report([...at, 'tracing'], 'sends traces, but the environment has no Jaeger; add a service of kind: jaeger or remove `tracing`');
      }
      if ((svc.kind === 'celery-worker' || svc.kind === 'celery-beat') && !svc.uses.some((u) => own(config.services, u)?.kind === 'redis')) {
        report([...at, 'uses'], 'a Celery service needs a Redis in `uses:` as its broker and result backend');
      }
    }
    if ('after' in svc) {
      svc.after.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'after', i], unknown('service', u, serviceNames)); });
      for (const u of Object.keys(svc.dependsOn)) if (!own(config.services, u)) report([...at, 'dependsOn', u], unknown('service', u, serviceNames));
    }
    if (gracesGivenTwice(svc)) report([...at, 'update', 'stopGraceSeconds'], DUPLICATE_GRACE);
    if ('env' in svc) {
      for (const k of Object.keys(svc.env)) {
        if (config.secrets.includes(k)) report([...at, 'env', k], `${k} is a declared secret; list it under \`secrets:\` of this service instead of giving a value here`);
      }
    }
    if (k8s && 'route' in svc && typeof svc.route === 'string') {
      try {
        parseRouteRule(svc.route);
      } catch (e) {
        report([...at, 'route'], `${(e as Error).message.replace(/^route rule "[^"]*": /, '')}; Kubernetes Ingress rules take hosts and path prefixes only`);
      }
    }
    if (k8s && !config.kubernetes?.storageClass && ['postgres', 'redis', 'prometheus', 'grafana', 'nfs-server', 'postgres-backup'].concat('volumes' in svc && Object.keys(svc.volumes).length ? [svc.kind] : []).includes(svc.kind)) {
      report([...at], 'keeps data in a volume, and a Kubernetes environment needs `kubernetes.storageClass` for its claims');
    }
    if (svc.kind === 'prometheus') {
      (svc.scrape ?? []).forEach((t, i) => {
        const target = own(config.services, t);
        if (!target) report([...at, 'scrape', i], unknown('service', t, serviceNames));
        else if (!('ports' in target) || !target.ports.metrics) report([...at, 'scrape', i], `${t} declares no \`metrics\` port to scrape; add \`ports: { metrics: <port> }\` to it or remove it here`);
      });
    }
  }
  // literal secrets anywhere in the file (a declared secret given a value is reported above)
  for (const p of secretValueProblems(config)) {
    const [top, svcName, field, key] = p.at;
    if (top === 'services' && field === 'env' && typeof svcName === 'string' && typeof key === 'string' && config.secrets.includes(key)) continue;
    report(p.at, p.message);
  }
  for (const [vol, def] of Object.entries(config.nfs)) {
    if (k8s && config.kubernetes && !config.kubernetes.readWriteMany) {
      report(['nfs', vol], 'an NFS volume is mounted ReadWriteMany by pods on several nodes, and this cluster declares `kubernetes.readWriteMany: false`; use a volume per service or enable NFS mounts on the nodes');
    }
    const server = own(config.services, def.server);
    if (!server || server.kind !== 'nfs-server') {
      report(['nfs', vol, 'server'], `${JSON.stringify(def.server)} is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume`);
    } else if (k8s && config.kubernetes && !config.kubernetes.clusterIPs[def.server]) {
      report(['nfs', vol, 'server'], `the kubelet mounts NFS from the node, which does not resolve cluster DNS names; give the NFS server a fixed address in the cluster's service range with \`kubernetes.clusterIPs: { ${def.server}: <IP> }\``);
    } else {
      const h = server.host ?? (hostNames.length === 1 ? hostNames[0] : undefined);
      if (!k8s && h && own(config.hosts, h) && !own(config.hosts, h)!.address) report(['nfs', vol, 'server'], `the NFS server runs on host ${h}, which has no \`address:\`; Docker mounts NFS by address, give hosts.${h}.address`);
    }
  }
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.kind === 'postgres-backup' && svc.nfsVolume && !own(config.nfs, svc.nfsVolume)) report(['services', name, 'nfsVolume'], unknown('NFS volume', svc.nfsVolume, Object.keys(config.nfs)));
    if (!('mounts' in svc)) continue;
    for (const vol of Object.keys(svc.mounts)) if (!own(config.nfs, vol)) report(['services', name, 'mounts', vol], unknown('NFS volume', vol, Object.keys(config.nfs)));
  }
  if (k8s && config.kubernetes) {
    for (const svc of Object.keys(config.kubernetes.clusterIPs)) if (!config.services[svc]) report(['kubernetes', 'clusterIPs', svc], unknown('service', svc, serviceNames));
    for (const s of Object.keys(config.kubernetes.secretVersions)) if (!config.secrets.includes(s)) report(['kubernetes', 'secretVersions', s], `secret ${s} is not declared; add it to the top-level \`secrets:\` list`);
  }
  for (const [i, s] of config.secrets.entries()) if (config.secrets.indexOf(s) !== i) report(['secrets', i], `secret ${s} is declared twice`);
  const undeclared = (name: string) => `secret ${name} is not declared; add it to the top-level \`secrets:\` list`;
  config.registries.forEach((r, i) => {
    if (!config.secrets.includes(r.passwordSecret)) report(['registries', i, 'passwordSecret'], `registry ${r.address} needs its credentials: ${undeclared(r.passwordSecret)}`);
  });
  if (config.github) {
    config.github.repositorySecrets.forEach((s, i) => { if (!config.secrets.includes(s)) report(['github', 'repositorySecrets', i], undeclared(s)); });
    // the generated workflows pin host keys instead of trusting whatever ssh-keyscan sees
    for (const [h, host] of Object.entries(config.hosts)) {
      if (host.docker.startsWith('ssh://') && !host.hostKey) report(['hosts', h, 'docker'], `an ssh:// host of an environment with \`github:\` needs its pinned host key for the workflows; add hosts.${h}.hostKey (the "ssh-ed25519 AAAA..." line of \`ssh-keyscan -t ed25519 <host>\`, checked out of band)`);
    }
    if (config.production && config.github.reviewers.users.length + config.github.reviewers.teams.length === 0) {
      report(['github', 'reviewers'], 'a production environment needs at least one reviewer (users or teams) to approve deploys; add `reviewers: { teams: [...] }`');
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const stack = new EnvironmentStack(scope, {
    name: config.name,
    hosts: k8s
      ? Object.keys(placements).map((name) => ({ name, docker: 'kubernetes', sshOptions: [], origin: origin(['kubernetes', 'nodePools', name]) }))
      : Object.entries(config.hosts).map(([name, h]) => ({ ...h, name, origin: origin(['hosts', name]) })),
    platform: config.platform,
    kubernetes: config.kubernetes,
    secrets: [...new Set(config.secrets)],
    production: config.production,
    protectVolumes: config.protectVolumes,
    state: config.state,
    github: config.github,
    registries: config.registries,
    releaseTag: config.release?.tag,
    repositorySecretsElsewhere: options.repositorySecretsElsewhere,
    origin: origin([]),
  });

  const built = new Map<string, Built>();
  // the proxy first, so routed services can find it; databases before their backups
  const rank = (kind: string) => (kind === 'traefik' ? 0 : kind === 'postgres' ? 1 : kind === 'postgres-backup' ? 3 : 2);
  const ordered = Object.entries(config.services).sort(([, a], [, b]) => rank(a.kind) - rank(b.kind));
  for (const [name, svc] of ordered) {
    built.set(name, instantiate(stack, name, svc, hostOf.get(name)!, origin(['services', name]), config.release, config.scheduler.image));
  }
  for (const [vol, def] of Object.entries(config.nfs)) (built.get(def.server)!.construct as NfsServer).volume(vol, { path: def.path, mountOptions: def.options });
  const jaeger = [...built.values()].find((b) => b.construct instanceof Jaeger)?.construct as Jaeger | undefined;
  for (const [name, svc] of Object.entries(config.services)) {
    const b = built.get(name)!;
    if ('uses' in svc) {
      for (const u of svc.uses) {
        const target = built.get(u)!.connectable;
        if (b.construct instanceof WorkerPool || b.construct instanceof CeleryWorker || b.construct instanceof CeleryBeat) b.construct.uses(target);
        else for (const consumer of b.consumers) target.connect(consumer);
      }
    }
    if ('after' in svc) {
      for (const consumer of b.consumers) {
        for (const a of svc.after) consumer.dependOn(built.get(a)!.connectable.service, 'completed');
        for (const [u, cond] of Object.entries(svc.dependsOn)) consumer.dependOn(built.get(u)!.connectable.service, cond);
      }
    }
    if ('tracing' in svc && svc.tracing && jaeger) for (const consumer of b.consumers) jaeger.trace(consumer);
    if ('mounts' in svc) for (const [vol, mountPath] of Object.entries(svc.mounts)) for (const consumer of b.consumers) consumer.addNfsMount(vol, mountPath);
    if (svc.kind === 'worker-pool' && svc.registerWith) (b.construct as WorkerPool).registerWith(built.get(svc.registerWith)!.connectable, svc.registerEnv);
  }
  validate(stack);
  stack.render((st) => {
    if (!k8s) renderDocker(st); // Kubernetes manifests come from lib/kubernetes (npm run synth:k8s)
    renderGithub(st);
  });
  return stack;
}

/** Runs the invariants; throws every problem together. */
export function validate(stack: EnvironmentStack): void {
  const problems = checkEnvironment(stack);
  if (problems.length) throw new ConfigError(problems);
}

/** What a service entry became: the construct, what others connect to, and its Services. */
interface Built {
  readonly construct: unknown;
  readonly connectable: Connectable;
  readonly consumers: readonly Service[];
}

function instantiate(stack: EnvironmentStack, name: string, svc: ServiceConfig, host: string, origin: Origin, release?: { tag: string; images: readonly string[] }, schedulerImage?: string): Built {
  const one = (c: Connectable): Built => ({ construct: c, connectable: c, consumers: [c.service] });
  const plain = (c: { readonly service: Service }): Built => one({ service: c.service, connect: (consumer) => consumer.dependOn(c.service, c.service.healthcheck ? 'healthy' : 'started') } as Connectable);
  const res = 'resources' in svc ? svc.resources : { cpus: undefined, memory: undefined };
  switch (svc.kind) {
    case 'traefik':
      return plain(new TraefikProxy(stack, name, {
        host, version: svc.version, image: svc.image, entrypoints: svc.entrypoints, bind: svc.bind, dashboardPort: svc.dashboard?.port,
        acme: svc.acme, cpus: res.cpus, memory: res.memory, labels: svc.labels, origin,
      }));
    case 'postgres':
      return one(new Postgres(stack, name, {
        host, passwordSecret: svc.password, version: svc.version, timescale: svc.timescale, image: svc.image, tag: svc.tag,
        user: svc.user, database: svc.database, publish: svc.publish, bind: svc.bind, cpus: res.cpus, memory: res.memory, labels: svc.labels, origin,
      }));
    case 'redis':
      return one(new Redis(stack, name, {
        host, passwordSecret: svc.password, version: svc.version, image: svc.image, tag: svc.tag, maxmemory: svc.maxmemory,
        evictionPolicy: svc.evictionPolicy, appendonly: svc.appendonly, publish: svc.publish, bind: svc.bind, cpus: res.cpus, memory: res.memory, labels: svc.labels, origin,
      }));
    case 'adminer':
      return plain(new Adminer(stack, name, { host, route: svc.route, version: svc.version, entrypoints: svc.entrypoints, cpus: res.cpus, memory: res.memory, origin }));
    case 'web':
      return one(new WebService(stack, name, { ...workloadProps(svc, host, origin, release), port: svc.port ?? 0, replicas: svc.replicas }));
    case 'singleton':
      return one(new SingletonService(stack, name, { ...workloadProps(svc, host, origin, release), replicas: svc.replicas }));
    case 'job':
      return one(new OneShotJob(stack, name, { ...workloadProps(svc, host, origin, release), command: svc.command, timeoutSeconds: svc.timeout }));
    case 'service':
      return one(new GenericService(stack, name, { ...workloadProps(svc, host, origin, release), replicas: svc.replicas }));
    case 'celery-worker':
      return one(new CeleryWorker(stack, name, { ...workloadProps(svc, host, origin, release), app: svc.app, queues: svc.queues, concurrency: svc.concurrency, replicas: svc.replicas }));
    case 'celery-beat':
      return one(new CeleryBeat(stack, name, { ...workloadProps(svc, host, origin, release), app: svc.app, replicas: svc.replicas }));
    case 'worker-pool': {
      const pool = new WorkerPool(stack, name, {
        image: svc.image, tag: svc.tag, command: svc.command, type: svc.type, hosts: svc.hosts, basePort: svc.basePort, bind: svc.bind,
        cpus: res.cpus, memory: res.memory, env: Object.fromEntries(Object.entries(svc.env).map(([k, v]) => [k, String(v)])), secrets: svc.secrets,
        stopGracePeriod: svc.stopGracePeriod, secretsOwner: svc.secretsOwner, update: svc.update, origin,
      });
      const first = pool.services[0];
      return { construct: pool, connectable: { service: first, connect: (consumer) => pool.services.forEach((s) => consumer.dependOn(s, 'started')) } as Connectable, consumers: pool.services };
    }
    case 'prometheus':
      return plain(new Prometheus(stack, name, { host, version: svc.version, image: svc.image, retention: svc.retention, scrapeInterval: svc.scrapeInterval, publish: svc.publish, bind: svc.bind, scrape: svc.scrape, cpus: res.cpus, memory: res.memory, origin }));
    case 'grafana':
      return plain(new Grafana(stack, name, { host, adminPasswordSecret: svc.adminPassword, version: svc.version, image: svc.image, publish: svc.publish, bind: svc.bind, cpus: res.cpus, memory: res.memory, origin }));
    case 'scheduled-job':
      return one(new ScheduledJob(stack, name, { ...workloadProps(svc, host, origin, release), command: svc.command, schedule: svc.schedule, schedulerImage }));
    case 'postgres-backup': {
      const db = stack.node.tryFindChild(svc.database);
      if (!(db instanceof Postgres)) throw new Error(`postgres-backup ${name}: database ${svc.database} must be built first`);
      return one(new PostgresBackup(stack, name, { database: db, schedule: svc.schedule, retentionDays: svc.retentionDays, nfsVolume: svc.nfsVolume, directory: svc.directory, schedulerImage }));
    }
    case 'nfs-server': {
      const nfs = new NfsServer(stack, name, { host, exportPath: svc.exportPath, image: svc.image, publish: svc.publish, bind: svc.bind, clients: svc.clients, rootSquash: svc.rootSquash, origin });
      return { ...plain(nfs), construct: nfs };
    }
    case 'alertmanager':
      return plain(new Alertmanager(stack, name, { host, version: svc.version, receivers: svc.receivers, defaultReceiver: svc.defaultReceiver, routes: svc.routes, publish: svc.publish, bind: svc.bind, cpus: res.cpus, memory: res.memory, origin }));
    case 'jaeger': {
      const j = new Jaeger(stack, name, { host, version: svc.version, image: svc.image, uiPort: svc.uiPort, otlpPort: svc.otlpPort, bind: svc.bind, cpus: res.cpus, memory: res.memory, origin });
      return { ...plain(j), construct: j };
    }
  }
}

function workloadProps(svc: Extract<ServiceConfig, { kind: 'web' | 'singleton' | 'job' | 'service' | 'celery-worker' | 'celery-beat' | 'scheduled-job' }>, host: string, origin: Origin, release?: { tag: string; images: readonly string[] }): WorkloadProps {
  const routed = svc.kind === 'job' || svc.kind === 'celery-worker' || svc.kind === 'celery-beat' || svc.kind === 'scheduled-job' ? undefined : svc;
  const released = svc.tag === undefined && !!release?.images.includes(svc.image);
  return {
    host,
    image: svc.image,
    tag: released ? release!.tag : svc.tag,
    release: released,
    command: svc.command,
    entrypoint: svc.entrypoint,
    env: svc.env,
    secrets: svc.secrets,
    port: routed?.port,
    ports: routed?.ports,
    route: routed?.route,
    entrypoints: routed?.entrypoints,
    health: routed?.health,
    healthcheck: svc.healthcheck,
    cpus: svc.resources.cpus,
    memory: svc.resources.memory,
    volumes: svc.volumes,
    labels: svc.labels,
    stopGracePeriod: svc.stopGracePeriod,
    secretsOwner: svc.secretsOwner,
    update: svc.update,
    origin,
  };
}
