/**
 * Prometheus on Kubernetes: the construct says which services are scraped (target-neutral); here
 * they become addresses a pod of the namespace resolves through the cluster's DNS, by Service name
 * (the Docker target's container names do not exist in a cluster).
 *
 *   one replica  → static target `<service>.<namespace>.svc:<port>` (the service's own Service)
 *   several      → DNS discovery of `<service>-metrics.<namespace>.svc`, a headless Service whose
 *                  A records are the ready pods' addresses: every replica is scraped, not whichever
 *                  one the ClusterIP picks
 */
import { Prometheus, PROMETHEUS_CONFIG, prometheusConfig } from '../../constructs/prometheus';
import type { Service } from '../service';

/** The container port a service's metrics are read on (a worker pool's pods all use the first replica's ports). */
export function metricsPort(s: Service): number {
  return (s.perReplica?.(1).ports?.find((p) => p.name === 'metrics') ?? s.port('metrics')!).container;
}

/** Pods of a service scraped one by one through a headless Service of this name. */
export const metricsServiceName = (s: Service): string => `${s.serviceName}-metrics`;

/** Whether a scraped service needs its headless metrics Service: more than one pod. */
export const scrapedPerPod = (s: Service): boolean => s.replicas > 1;

/** The Prometheus construct a service belongs to, when it is one. */
export function prometheusOf(s: Service): Prometheus | undefined {
  const scope = s.node.scope;
  return scope instanceof Prometheus && scope.service === s ? scope : undefined;
}

/** Services some Prometheus of the stack scrapes pod by pod (each gets a headless `-metrics` Service). */
export function perPodScraped(services: readonly Service[]): Set<string> {
  const out = new Set<string>();
  for (const s of services) for (const t of prometheusOf(s)?.scrapedServices() ?? []) if (scrapedPerPod(t)) out.add(t.serviceName);
  return out;
}

/** The content of a generated file as a pod in `namespace` reads it: the Prometheus configuration by Service names, others unchanged. */
export function kubernetesFileText(s: Service, file: { path: string; content: () => string }, namespace: string): string {
  const prom = prometheusOf(s);
  if (!prom || file.path !== PROMETHEUS_CONFIG) return file.content();
  return prometheusConfig(prom.scrapeInterval, prom.scrapedServices().map((t) => {
    const port = metricsPort(t);
    const lines = scrapedPerPod(t)
      ? ['dns_sd_configs:', `  - names: [${JSON.stringify(`${metricsServiceName(t)}.${namespace}.svc`)}]`, '    type: A', `    port: ${port}`]
      : ['static_configs:', `  - targets: [${JSON.stringify(`${t.serviceName}.${namespace}.svc:${port}`)}]`];
    return { job: t.serviceName, lines };
  }));
}
