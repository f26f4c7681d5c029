/**
 * The environment model as the checks and the targets read it: hosts (or node pools), Services,
 * the proxy, NFS volumes, declared secrets. lib/environment-stack.ts builds it; lib/invariants.ts
 * checks it through this interface, so neither imports the other.
 */
import type { Problem } from './config/errors';
import type { HostConfig, KubernetesConfig } from './config/sections';
import type { Service } from './service';
import type { Origin } from './values';

/** What the environment's reverse proxy offers the services it routes to. */
export interface ProxyInfo {
  readonly service: Service;
  /** Entrypoint names, in declaration order. */
  readonly entrypoints: readonly string[];
  /** Certificate resolver routers use for TLS. @default - no TLS */
  readonly certResolver?: string;
}

export interface HostProps extends HostConfig {
  readonly name: string;
  readonly origin?: Origin;
}

/** A service that reaches other services' ports from its own host (Prometheus scraping, Grafana's datasources). */
export interface ReachSpec {
  readonly from: Service;
  readonly targets: () => readonly { readonly service: Service; readonly port: string }[];
}

export interface EnvironmentModel {
  readonly environmentName: string;
  readonly production: boolean;
  readonly platform: 'docker' | 'kubernetes';
  readonly kubernetes?: KubernetesConfig;
  readonly hosts: ReadonlyMap<string, HostProps>;
  /** Where the environment came from. */
  readonly origin?: Origin;
  /** Problems found while wiring, reported with the invariants. */
  readonly wiringProblems: readonly Problem[];
  /** Services that reach other services' ports from their own host: checked like `uses:` across hosts. */
  readonly reaches: readonly ReachSpec[];
  readonly proxy?: ProxyInfo;
  /** NFS volumes services can mount: name → the NFS server's service, exported path, mount options. */
  readonly nfsVolumes: ReadonlyMap<string, { readonly server: Service; readonly path: string; readonly options: string }>;
  /** Every Service, in construct-tree order. */
  readonly services: readonly Service[];
  hasSecret(name: string): boolean;
}
