/**
 * Environment file → EnvironmentStack: checks every entry with its kind (constructs/index.ts),
 * instantiates one construct per entry through its kind, wires `uses` / `after` / `dependsOn` /
 * `tracing` / `mounts`, runs the invariants and renders the Docker target. Every user mistake
 * becomes a positioned ConfigError; nothing is rendered when there is one. Nothing here knows a
 * kind by name: kinds are looked up in the registry and asked for capabilities.
 */
import type { Construct } from 'constructs';
import { ConfigError, pathToString, suggest, type Problem } from './config/errors';
import { type LoadedEnvironment } from './config/load';
import { secretValueProblems } from './config/secret-values';
import type { ServiceConfig } from './config/schema';
import { positionOf } from './config/yaml-source';
import { renderDocker } from './docker/render';
import { renderGithub } from './github/render';
import { parseRouteRule } from './kubernetes/routes';
import { EnvironmentStack } from './environment-stack';
import { checkEnvironment } from './invariants';
import type { At, Built, Capability, CheckContext, EnvironmentView, Kind } from './kind';
import { ALL_KINDS } from './registry';
import { DUPLICATE_GRACE, gracesGivenTwice } from './update-policy';
import type { Origin } from './values';

const REGISTRY: ReadonlyMap<string, Kind> = new Map(ALL_KINDS.map((k) => [k.kind, k]));
const kindOf = (svc: ServiceConfig): Kind => REGISTRY.get(svc.kind)!;

/** A user-named entry of a mapping, never something inherited from Object.prototype (`uses: [constructor]`). */
function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
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
  const report = (at: At, message: string) => { problems.push({ ...positionOf(source, [...at]), path: pathToString(at), message }); };
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

  const view = config as unknown as EnvironmentView;
  const service = (n: string) => own(view.services, n);
  const provides = (n: string, capability: Capability) => {
    const svc = service(n);
    return !!svc && !!REGISTRY.get(svc.kind)?.provides?.includes(capability);
  };
  const shared = { env: view, placements: hostNames, placementWord: k8s ? 'node pool' : 'host', service, provides, unknown };
  const anyProvides = (capability: Capability) => serviceNames.some((n) => provides(n, capability));

  // references the constructs need resolved before they can exist
  const hostOf = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    const kind = kindOf(svc);
    const ctx: CheckContext = { ...shared, name, report: (sub, message) => report([...at, ...sub], message) };
    kind.check?.(svc, ctx);
    // placement: kinds with a `host:` field run on one host (the only one when not given)
    if ('host' in kind.schema.shape) {
      const host = (svc as { host?: string }).host;
      if (host === undefined) {
        if (hostNames.length === 1) hostOf.set(name, hostNames[0]);
        else report([...at], `needs \`host:\`; this environment has several hosts (${hostNames.join(', ')})`);
      } else if (!own(placements, host)) report([...at, 'host'], unknown(k8s ? 'node pool' : 'host', host, hostNames));
      else hostOf.set(name, host);
    }
    if ('port' in kind.schema.shape && 'route' in svc && svc.route && (svc as { port?: number }).port === undefined) {
      report([...at, 'route'], 'a routed service needs `port:`, the container port the proxy sends traffic to');
    }
    // settings that only mean something beside another one are refused alone, not ignored
    const given = svc as Readonly<Record<string, unknown>>;
    const noEffect = (where: At, field: string, other: string, why: string) => report([...at, ...where, field], `has no effect without \`${other}:\` (${why}); add \`${other}:\` or remove \`${field}:\``);
    const needs = (field: string, other: string, why: string) => {
      if (given[field] !== undefined && other in kind.schema.shape && given[other] === undefined) noEffect([], field, other, why);
    };
    const LISTENS = 'it is the address the published port listens on';
    needs('bind', 'publish', LISTENS);
    needs('entrypoints', 'route', 'they are the proxy entrypoints of the route');
    needs('health', 'port', 'the healthcheck asks that port');
    if ('ports' in svc) for (const [n, p] of Object.entries(svc.ports)) if (typeof p === 'object' && p.bind !== undefined && p.publish === undefined) noEffect(['ports', n], 'bind', 'publish', LISTENS);
    if ('uses' in svc) {
      svc.uses.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'uses', i], unknown('service', u, serviceNames)); });
    }
    if ('tracing' in svc && svc.tracing && !anyProvides('tracing')) {
      report([...at, 'tracing'], 'sends traces, but the environment has no Jaeger; add a service of kind: jaeger or remove `tracing`');
    }
    if ('after' in svc) svc.after.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'after', i], unknown('service', u, serviceNames)); });
    if ('dependsOn' in svc) for (const u of Object.keys(svc.dependsOn)) if (!own(config.services, u)) report([...at, 'dependsOn', u], unknown('service', u, serviceNames));
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
    if ('mounts' in svc) for (const vol of Object.keys(svc.mounts)) if (!own(config.nfs, vol)) report(['services', name, 'mounts', vol], unknown('NFS volume', vol, Object.keys(config.nfs)));
  }
  for (const kind of REGISTRY.values()) kind.checkEnvironment?.(view, report, shared);
  // literal secrets anywhere in the file (a declared secret given a value is reported above)
  for (const p of secretValueProblems(config)) {
    const [top, svcName, field, key] = p.at;
    if (top === 'services' && field === 'env' && typeof svcName === 'string' && typeof key === 'string' && config.secrets.includes(key)) continue;
    report(p.at, p.message);
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
  const rank = (svc: ServiceConfig) => kindOf(svc).rank ?? 2;
  const ordered = Object.entries(config.services).sort(([, a], [, b]) => rank(a) - rank(b));
  for (const [name, svc] of ordered) {
    built.set(name, kindOf(svc).build(svc, { stack, name, host: hostOf.get(name) ?? '', origin: origin(['services', name]), release: config.release, env: view, built: (n) => built.get(n) }));
  }
  const wireContext = { stack, env: view, built: (n: string) => built.get(n)! };
  const tracers = [...built.values()].filter((b) => b.trace);
  for (const [name, svc] of Object.entries(config.services)) {
    const b = built.get(name)!;
    if ('uses' in svc) {
      for (const u of svc.uses) {
        const target = built.get(u)!.connectable;
        if (b.use) b.use(target);
        else for (const consumer of b.consumers) target.connect(consumer);
      }
    }
    for (const consumer of b.consumers) {
      if ('after' in svc) for (const a of svc.after) consumer.dependOn(built.get(a)!.connectable.service, 'completed');
      if ('dependsOn' in svc) for (const [u, cond] of Object.entries(svc.dependsOn)) consumer.dependOn(built.get(u)!.connectable.service, cond);
      if ('tracing' in svc && svc.tracing && tracers.length) tracers[0].trace!(consumer);
      if ('mounts' in svc) for (const [vol, mountPath] of Object.entries(svc.mounts)) consumer.addNfsMount(vol, mountPath);
    }
    kindOf(svc).wire?.(svc, b, wireContext);
  }
  for (const kind of REGISTRY.values()) kind.wireEnvironment?.(wireContext);
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

