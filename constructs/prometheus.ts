import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { Environment } from '../lib/environment';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { Service, type Reach } from '../lib/service';
import { limits } from '../lib/values';
import { healthcheck } from '../lib/workload';

export const PrometheusSchema = z.strictObject({
  kind: f.kind('prometheus', 'Prometheus: scrape targets generated from every `metrics` port, per replica, across hosts; protected volume.'),
  host: f.host,
  version: f.version('v3.5.0'),
  image: f.imageOverride('prom/prometheus'),
  retention: f.duration.default('15d').describe('How long samples are kept (90d in production, 7d for development in seed 003).'),
  scrapeInterval: f.duration.default('15s').describe('Scrape interval.'),
  publish: f.port.optional().describe('Publish the UI/API (9090) on this host port. Default: not published.'),
  bind: f.publishBind,
  scrape: z.array(z.string()).optional().describe('Only these services are scraped. Default: every service with a `metrics` port.'),
  resources: f.resources,
});

export type PrometheusProps = ConstructProps<typeof PrometheusSchema>;

export const PROMETHEUS_CONFIG = '/etc/prometheus/prometheus.yml';

/**
 * Prometheus with a scrape configuration generated from the model when the environment renders: every
 * service with a `metrics` port is a target, one per replica, by container name on the same host
 * and by host address and published port across hosts. Data in a protected volume.
 */
export class Prometheus extends Construct {
  readonly service: Service;
  private readonly scrapeOnly?: readonly string[];
  private readonly interval: string;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const p = withDefaults(PrometheusSchema, props);
    this.scrapeOnly = p.scrape;
    this.interval = p.scrapeInterval;
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'prometheus',
      image: { repository: p.image ?? 'prom/prometheus', tag: p.version },
      command: [
        `--config.file=${PROMETHEUS_CONFIG}`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${p.retention}`,
        '--web.enable-lifecycle',
      ],
      healthcheck: healthcheck({ test: ['CMD', 'wget', '-qO-', 'http://localhost:9090/-/healthy'], interval: '10s', timeout: '5s', retries: 5, startPeriod: '10s' }),
      stateful: true,
      secretsOwner: { uid: 65534, gid: 65534 }, // the official image runs as nobody
      ...limits(p.resources),
      origin: p.origin,
    });
    this.service
      .addPort('http', 9090, p.publish, p.bind)
      .addVolume('data', '/prometheus')
      .addFile({ path: PROMETHEUS_CONFIG, content: (reach) => this.renderConfig(reach), mode: '0444' });
    const environment = Environment.of(this);
    environment.reaches.push({ from: this.service, targets: () => this.scrapedServices().map((s) => ({ service: s, port: 'metrics' })) });
  }

  /** How often every target is scraped. */
  get scrapeInterval(): string {
    return this.interval;
  }

  /**
   * What is scraped, target-neutral: every service with a `metrics` port (or those of `scrape`),
   * by name. Each target answers how they are reached (its Reach: lib/docker/reach.ts, lib/kubernetes/reach.ts).
   */
  scrapedServices(): Service[] {
    return Environment.of(this).services
      // `scrape` names entries of the file: a worker pool's entry built one service per host
      .filter((s) => s.hasPort('metrics') && (!this.scrapeOnly || this.scrapeOnly.includes(s.serviceName) || this.scrapeOnly.includes(s.node.scope?.node.id ?? '')))
      .sort((a, b) => a.serviceName.localeCompare(b.serviceName));
  }

  /** The configuration, with the scrape targets as the rendering target reaches them (every replica). */
  private renderConfig(reach: Reach): string {
    return prometheusConfig(this.interval, this.scrapedServices().map((t) => {
      const r = reach.replicas(this.service, t, 'metrics');
      const lines = 'dnsName' in r
        ? ['dns_sd_configs:', `  - names: [${JSON.stringify(r.dnsName)}]`, '    type: A', `    port: ${r.port}`]
        : ['static_configs:', `  - targets: [${r.addresses.map((x) => JSON.stringify(x)).join(', ')}]`];
      return { job: t.serviceName, lines };
    }));
  }
}

export const prometheusKind = defineKind({
  kind: 'prometheus',
  schema: PrometheusSchema,
  stateful: true,
  check(svc, ctx) {
    (svc.scrape ?? []).forEach((t, i) => {
      const target = ctx.service(t);
      if (!target) ctx.report(['scrape', i], ctx.unknown('service', t, Object.keys(ctx.env.services)));
      else if (!(target.ports as Record<string, unknown> | undefined)?.metrics && (target as { metrics?: unknown }).metrics !== true) {
        ctx.report(['scrape', i], `${t} declares no \`metrics\` port to scrape; add \`ports: { metrics: <port> }\` to it (\`metrics: true\` on a worker pool) or remove it here`);
      }
    });
  },
  build: (svc, ctx) => plain(new Prometheus(ctx.environment, ctx.name, entryProps(svc, ctx))),
});

/** A Prometheus configuration: the scrape interval and one scrape config per job, each given as its lines below `job_name`. */
export function prometheusConfig(interval: string, jobs: readonly { job: string; lines: readonly string[] }[]): string {
  const out = ['# generated by stackyard from the environment model', 'global:', `  scrape_interval: ${interval}`, 'scrape_configs:'];
  for (const j of jobs) out.push(`  - job_name: ${JSON.stringify(j.job)}`, ...j.lines.map((l) => `    ${l}`));
  return out.join('\n') + '\n';
}
