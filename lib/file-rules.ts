/**
 * The file rules, the second stage of the validation pipeline (lib/validation.ts): checks of the
 * parsed environment file, before anything is built, each named and positioned. lib/build.ts runs
 * them; README "Validation order" lists them (generated).
 */
import type { EnvironmentConfig, ServiceConfig } from './config/schema';
import { secretValueProblems } from './config/secret-values';
import { PLACEHOLDER_PREFIX } from './deploy/secret-versions';
import type { At, Capability, CheckContext, EnvironmentView, Kind } from './kind';
import { parseRouteRule, RouteRuleError } from './kubernetes/routes';
import { ALL_KINDS, kindNamed } from './registry';
import { DUPLICATE_GRACE, gracesGivenTwice } from './update-policy';
import type { Rule } from './validation';

/** A user-named entry of a mapping, never something inherited from Object.prototype (`uses: [constructor]`). */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** What the file rules see: the parsed file and what is derived from it once. */
export interface FileContext {
  readonly config: EnvironmentConfig;
  readonly view: EnvironmentView;
  readonly k8s: boolean;
  /** Host names (Docker) or node pool names (Kubernetes). */
  readonly placements: Readonly<Record<string, unknown>>;
  readonly hostNames: readonly string[];
  readonly serviceNames: readonly string[];
  readonly shared: Omit<CheckContext, 'name' | 'report'>;
  /** Where each entry with a `host:` field runs, filled by the placement rule. */
  readonly hostOf: Map<string, string>;
  unknown(what: string, name: string, known: readonly string[]): string;
}

type FileRule = Rule<FileContext, At>;

/** Each entry, its path and its kind. */
function* entries(ctx: FileContext): Generator<[string, ServiceConfig, At, Kind]> {
  for (const [name, svc] of Object.entries(ctx.config.services)) yield [name, svc, ['services', name], kindNamed(svc.kind)!];
}

/** A declared secret given a value under a service's `env:`: where, and its name (secrets-not-in-env reports these; literal-secrets leaves them to it). */
function* declaredSecretsInEnv(ctx: FileContext): Generator<[At, string]> {
  for (const [, svc, at] of entries(ctx)) {
    if (!('env' in svc)) continue;
    for (const k of Object.keys(svc.env)) if (ctx.config.secrets.includes(k)) yield [[...at, 'env', k], k];
  }
}

/** Every string of the parsed file, keys included, with its path (a key at the path it names). */
function* strings(v: unknown, at: At): Generator<[At, string]> {
  if (typeof v === 'string') yield [at, v];
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* strings(x, [...at, i]);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      yield [[...at, k], k];
      yield* strings(x, [...at, k]);
    }
  }
}

const undeclared = (name: string) => `secret ${name} is not declared; add it to the top-level \`secrets:\` list`;
const LISTENS = 'it is the address the published port listens on';

/** The file rules, in the order they run (README "Validation order" lists them). */
export const FILE_RULES: readonly FileRule[] = [
  {
    name: 'platform',
    what: 'Docker hosts or a Kubernetes section, as the platform needs',
    check: ({ config, k8s }, report) => {
      if (k8s) {
        if (Object.keys(config.hosts).length) report(['hosts'], 'a Kubernetes environment has no Docker hosts; remove `hosts:` and place services on `kubernetes.nodePools` with `host:`');
        if (!config.kubernetes) report([], 'platform: kubernetes needs a `kubernetes:` section (namespace, nodePools, storageClass)');
      } else {
        if (config.kubernetes) report(['kubernetes'], 'only a `platform: kubernetes` environment takes a `kubernetes:` section; remove it or set the platform');
        if (!Object.keys(config.hosts).length) report(['hosts'], 'declare at least one Docker host, e.g. local: { docker: "unix:///var/run/docker.sock" }');
      }
    },
  },
  {
    name: 'kind-checks',
    what: "each entry's own checks (constructs/<kind>.ts `check`)",
    check: (ctx, report) => {
      for (const [name, svc, at, kind] of entries(ctx)) kind.check?.(svc, { ...ctx.shared, name, report: (sub, message) => report([...at, ...sub], message) });
    },
  },
  {
    name: 'placement',
    what: 'kinds with a `host:` run on a declared host (or node pool); the only one when not given',
    check: (ctx, report) => {
      const { hostNames, placements, k8s } = ctx;
      for (const [name, svc, at, kind] of entries(ctx)) {
        if (!('host' in kind.schema.shape)) continue;
        const host = (svc as { host?: string }).host;
        if (host === undefined) {
          if (hostNames.length === 1) ctx.hostOf.set(name, hostNames[0]);
          // none at all is reported once, where the hosts (or the cluster's node pools) are missing
          else if (hostNames.length) report([...at], `needs \`host:\`; this environment has several hosts (${hostNames.join(', ')})`);
        } else if (!own(placements, host)) report([...at, 'host'], ctx.unknown(k8s ? 'node pool' : 'host', host, hostNames));
        else ctx.hostOf.set(name, host);
      }
    },
  },
  {
    name: 'setting-pairs',
    what: 'settings that mean something only beside another one are refused alone, not ignored',
    check: (ctx, report) => {
      for (const [, svc, at, kind] of entries(ctx)) {
        if ('port' in kind.schema.shape && 'route' in svc && svc.route && (svc as { port?: number }).port === undefined) {
          report([...at, 'route'], 'a routed service needs `port:`, the container port the proxy sends traffic to');
        }
        const given = svc as Readonly<Record<string, unknown>>;
        const noEffect = (where: At, field: string, other: string, why: string) => report([...at, ...where, field], `has no effect without \`${other}:\` (${why}); add \`${other}:\` or remove \`${field}:\``);
        const needs = (field: string, other: string, why: string) => {
          if (given[field] !== undefined && other in kind.schema.shape && given[other] === undefined) noEffect([], field, other, why);
        };
        needs('bind', 'publish', LISTENS);
        needs('entrypoints', 'route', 'they are the proxy entrypoints of the route');
        needs('health', 'port', 'the healthcheck asks that port');
        if ('ports' in svc) for (const [n, p] of Object.entries(svc.ports)) if (typeof p === 'object' && p.bind !== undefined && p.publish === undefined) noEffect(['ports', n], 'bind', 'publish', LISTENS);
        if (gracesGivenTwice(svc)) report([...at, 'update', 'stopGraceSeconds'], DUPLICATE_GRACE);
      }
    },
  },
  {
    name: 'references',
    what: '`uses`, `after`, `dependsOn`, `mounts` name entries that exist; `tracing` has a Jaeger to send to',
    check: (ctx, report) => {
      const { config, serviceNames } = ctx;
      const anyProvides = (capability: Capability) => serviceNames.some((n) => ctx.shared.provides(n, capability));
      for (const [name, svc, at] of entries(ctx)) {
        if ('uses' in svc) svc.uses.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'uses', i], ctx.unknown('service', u, serviceNames)); });
        if ('tracing' in svc && svc.tracing && !anyProvides('tracing')) {
          report([...at, 'tracing'], 'sends traces, but the environment has no Jaeger; add a service of kind: jaeger or remove `tracing`');
        }
        if ('after' in svc) svc.after.forEach((u, i) => { if (!own(config.services, u)) report([...at, 'after', i], ctx.unknown('service', u, serviceNames)); });
        if ('dependsOn' in svc) for (const u of Object.keys(svc.dependsOn)) if (!own(config.services, u)) report([...at, 'dependsOn', u], ctx.unknown('service', u, serviceNames));
        if ('mounts' in svc) for (const vol of Object.keys(svc.mounts)) if (!own(config.nfs, vol)) report(['services', name, 'mounts', vol], ctx.unknown('NFS volume', vol, Object.keys(config.nfs)));
      }
    },
  },
  {
    name: 'secrets-not-in-env',
    what: 'a declared secret is delivered with `secrets:`, never given a value under `env:`',
    check: (ctx, report) => {
      for (const [at, k] of declaredSecretsInEnv(ctx)) report(at, `${k} is a declared secret; list it under \`secrets:\` of this service instead of giving a value here`);
    },
  },
  {
    name: 'kubernetes-routes',
    what: 'on Kubernetes, routes are rules an Ingress takes (hosts and path prefixes)',
    check: (ctx, report) => {
      if (!ctx.k8s) return;
      for (const [, svc, at] of entries(ctx)) {
        const route = (svc as { route?: unknown }).route;
        if (typeof route !== 'string') continue;
        try {
          parseRouteRule(route);
        } catch (e) {
          if (!(e instanceof RouteRuleError)) throw e;
          report([...at, 'route'], `${e.reason}; Kubernetes Ingress rules take hosts and path prefixes only`);
        }
      }
    },
  },
  {
    name: 'kind-environment-checks',
    what: 'what a kind owns of the whole file (e.g. the top-level `nfs:` of nfs-server), once per environment',
    check: (ctx, report) => { for (const kind of ALL_KINDS) kind.checkEnvironment?.(ctx.view, report, ctx.shared); },
  },
  {
    name: 'literal-secrets',
    what: 'no secret typed into the file: an error where the text says it is one, a warning where a key only mentions one',
    check: (ctx, report) => {
      const theirs = new Set([...declaredSecretsInEnv(ctx)].map(([at]) => at.join('\0')));
      for (const p of secretValueProblems(ctx.config)) {
        if (theirs.has(p.at.join('\0'))) continue;
        report(p.at, p.message, p.certain ? 'error' : 'warning');
      }
    },
  },
  {
    name: 'placeholder-text',
    what: 'no value holds the text pull-request plans put in place of secrets (such a value would show there as unchanged)',
    check: ({ config }, report) => {
      const seen = new Set<string>();
      for (const [at, text] of strings(config, [])) {
        const key = JSON.stringify(at);
        if (!text.includes(PLACEHOLDER_PREFIX) || seen.has(key)) continue;
        seen.add(key);
        report(at, `${JSON.stringify(PLACEHOLDER_PREFIX)} is reserved: pull-request plans put it in place of every secret and compare a value holding it as unchanged, so a change here would not show in the plan comment or its data-loss check; remove it`);
      }
    },
  },
  {
    name: 'kubernetes-section',
    what: '`kubernetes.clusterIPs` and `secretVersions` name services and secrets that exist',
    check: ({ config, k8s, serviceNames, unknown }, report) => {
      if (!k8s || !config.kubernetes) return;
      for (const svc of Object.keys(config.kubernetes.clusterIPs)) if (!config.services[svc]) report(['kubernetes', 'clusterIPs', svc], unknown('service', svc, serviceNames));
      for (const s of Object.keys(config.kubernetes.secretVersions)) if (!config.secrets.includes(s)) report(['kubernetes', 'secretVersions', s], undeclared(s));
    },
  },
  {
    name: 'secret-declarations',
    what: 'each secret is declared once',
    check: ({ config }, report) => {
      for (const [i, s] of config.secrets.entries()) if (config.secrets.indexOf(s) !== i) report(['secrets', i], `secret ${s} is declared twice`);
    },
  },
  {
    name: 'registries',
    what: "a private registry's password is a declared secret",
    check: ({ config }, report) => {
      config.registries.forEach((r, i) => {
        if (!config.secrets.includes(r.passwordSecret)) report(['registries', i, 'passwordSecret'], `registry ${r.address} needs its credentials: ${undeclared(r.passwordSecret)}`);
      });
    },
  },
  {
    name: 'github',
    what: 'repository secrets are declared; ssh:// hosts have pinned host keys; production has reviewers',
    check: ({ config }, report) => {
      if (!config.github) return;
      config.github.repositorySecrets.forEach((s, i) => { if (!config.secrets.includes(s)) report(['github', 'repositorySecrets', i], undeclared(s)); });
      // the generated workflows pin host keys instead of trusting whatever ssh-keyscan sees
      for (const [h, host] of Object.entries(config.hosts)) {
        if (host.docker.startsWith('ssh://') && !host.hostKey) report(['hosts', h, 'docker'], `an ssh:// host of an environment with \`github:\` needs its pinned host key for the workflows; add hosts.${h}.hostKey (the "ssh-ed25519 AAAA..." line of \`ssh-keyscan -t ed25519 <host>\`, checked out of band)`);
      }
      if (config.production && config.github.reviewers.users.length + config.github.reviewers.teams.length === 0) {
        report(['github', 'reviewers'], 'a production environment needs at least one reviewer (users or teams) to approve deploys; add `reviewers: { teams: [...] }`');
      }
    },
  },
];

