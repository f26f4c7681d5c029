/**
 * Environment file → the environment model (lib/environment.ts): runs the file rules (lib/file-rules.ts, the second stage of the
 * validation pipeline, lib/validation.ts), instantiates one construct per entry through its kind
 * (constructs/index.ts), wires `uses` / `after` / `dependsOn` / `tracing` / `mounts`, runs the
 * model rules (lib/invariants.ts). No target is rendered here (lib/app.ts renders the Terraform
 * stacks, lib/kubernetes the manifests) and nothing here loads cdktf. Every user mistake becomes a
 * positioned ConfigError; warnings go to `onWarning`.
 * Nothing here knows a kind by name: kinds are looked up in the registry and asked for
 * capabilities.
 */
import { ConfigError, pathToString, suggest } from './config/errors';
import { type LoadedEnvironment } from './config/load';
import type { ServiceConfig } from './config/schema';
import { positionOf } from './config/yaml-source';
import { addSchedulers } from './docker/scheduler';
import { Environment } from './environment';
import { checkEnvironment } from './invariants';
import type { Built, Capability, EnvironmentView, Kind } from './kind';
import { FILE_RULES, own, type FileContext } from './file-rules';
import { ALL_KINDS, kindNamed } from './registry';
import { errorsOf, runRules, warningsOf, type Finding } from './validation';
import type { Origin } from './values';

const kindOf = (svc: ServiceConfig): Kind => kindNamed(svc.kind)!;

export interface BuildOptions {
  /** Declared secrets another stack keeps at GitHub repository level (not copied per environment). @default [] */
  readonly repositorySecretsElsewhere?: readonly string[];
  /** Receives what is legal but suspicious (lib/validation.ts). @default - dropped */
  readonly onWarning?: (warning: Finding) => void;
}

export function buildEnvironment(loaded: LoadedEnvironment, options: BuildOptions = {}): Environment {
  const { config, source } = loaded;
  const origin = (base: (string | number)[]): Origin => ({
    locate: (sub) => {
      const at = [...base, ...(sub ? sub.split('.') : [])];
      return { ...positionOf(source, at), path: pathToString(at) };
    },
  });
  const k8s = config.platform === 'kubernetes';
  // where services can be placed: Docker hosts, or a cluster's node pools
  const placements: Record<string, unknown> = k8s ? { ...(config.kubernetes?.nodePools ?? {}) } : config.hosts;
  const hostNames = Object.keys(placements);
  const unknown = (what: string, name: string, known: readonly string[]) => {
    const hint = suggest(name, known);
    return `unknown ${what} ${JSON.stringify(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; known: ${known.join(', ') || 'none'}`}`;
  };
  const view = config as unknown as EnvironmentView;
  const service = (n: string) => own(view.services, n);
  const provides = (n: string, capability: Capability) => {
    const svc = service(n);
    return !!svc && !!kindNamed(svc.kind)?.provides?.includes(capability);
  };
  const hostOf = new Map<string, string>();
  const ctx: FileContext = {
    config, view, k8s, placements, hostNames, serviceNames: Object.keys(config.services), hostOf, unknown,
    shared: { env: view, placements: hostNames, placementWord: k8s ? 'node pool' : 'host', service, provides, unknown },
  };
  const findings = runRules(FILE_RULES, ctx, (at) => ({ ...positionOf(source, [...at]), path: pathToString(at) }));
  for (const w of warningsOf(findings)) options.onWarning?.(w);
  const errors = errorsOf(findings);
  if (errors.length) throw new ConfigError(errors);

  const environment = new Environment({
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
    schedulerImage: config.scheduler.image,
    repositorySecretsElsewhere: options.repositorySecretsElsewhere,
    origin: origin([]),
  });

  const built = new Map<string, Built>();
  const rank = (svc: ServiceConfig) => kindOf(svc).rank ?? 2;
  const ordered = Object.entries(config.services).sort(([, a], [, b]) => rank(a) - rank(b));
  for (const [name, svc] of ordered) {
    built.set(name, kindOf(svc).build(svc, { environment, name, host: hostOf.get(name) ?? '', origin: origin(['services', name]), release: config.release, env: view, built: (n) => built.get(n) }));
  }
  const wireContext = { environment, env: view, built: (n: string) => built.get(n)! };
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
  for (const kind of ALL_KINDS) kind.wireEnvironment?.(wireContext);
  validate(environment);
  return environment;
}

/**
 * Runs the model rules (lib/invariants.ts) once; throws every problem together. On Docker hosts the
 * target's own Services (the hosts' schedulers) join the model first, so they are checked too, also
 * for a model built from code.
 */
export function validate(environment: Environment): void {
  if (environment.platform === 'docker') addSchedulers(environment);
  const problems = checkEnvironment(environment);
  environment.markValidated();
  if (problems.length) throw new ConfigError(problems);
}

