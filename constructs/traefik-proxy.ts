import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { Environment } from '../lib/environment';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { LOOPBACK, Service } from '../lib/service';
import { healthcheck } from '../lib/workload';
import { limits } from '../lib/values';

export const TraefikSchema = z.strictObject({
  kind: f.kind('traefik', 'Traefik v3 reverse proxy: sees only containers labelled for this environment on its network.'),
  host: f.host,
  version: f.version('v3.6'),
  image: z.string().default('traefik').describe('Image repository.'),
  entrypoints: z.record(z.string().regex(f.NAME, 'an entrypoint name'), f.port).default({ web: 80 }).describe('Entrypoint name → published host port (the container listens on the same port).'),
  dashboard: z.strictObject({ port: f.port.describe('Host port.') }).optional().describe('Dashboard and API on this host port, bound to 127.0.0.1 only (reach it through an SSH tunnel). Default: off.'),
  bind: f.bind.optional().describe('Host address the entrypoints listen on (unlike `publish:` ports: the proxy is the front door). Default: 0.0.0.0.'),
  acme: z.strictObject({ email: z.string().email().describe('Account e-mail.'), entrypoint: z.string().describe('Entrypoint of the TLS challenge.') }).optional().describe('Let\'s Encrypt TLS via the TLS challenge on the named entrypoint. Default: off.'),
  resources: f.resources,
  labels: f.labels,
});

export type TraefikProxyProps = ConstructProps<typeof TraefikSchema> & {
  /**
   * Docker socket path on the host, mounted read-only for the Docker provider (e.g. a filtering socket proxy's).
   * @default - the unix:// path of the host's docker URL, else /var/run/docker.sock
   */
  readonly dockerSocket?: string;
};

/**
 * Traefik v3 as the environment's reverse proxy. Its Docker provider sees only containers
 * that opt in by label, belong to this environment and sit on the proxy network.
 */
export class TraefikProxy extends Construct {
  readonly service: Service;
  readonly entrypoints: Readonly<Record<string, number>>;

  constructor(scope: Construct, id: string, props: TraefikProxyProps) {
    super(scope, id);
    const p = withDefaults(TraefikSchema, props);
    const environment = Environment.of(this);
    const env = environment.environmentName;
    this.entrypoints = p.entrypoints;
    const hostUrl = environment.hosts.get(p.host)?.docker ?? '';
    const socket = props.dockerSocket ?? (hostUrl.startsWith('unix://') ? hostUrl.slice('unix://'.length) : '/var/run/docker.sock');
    const args = [
      '--providers.docker=true',
      '--providers.docker.exposedbydefault=false',
      `--providers.docker.network=${env}-proxy`,
      `--providers.docker.constraints=Label(\`stackyard.environment\`,\`${env}\`)`,
      '--ping=true',
      // rolling updates (lib/update-policy.ts): a connection to a replica that just stopped fails
      // within a second, so the retry middleware tries another one instead of waiting 30 s, and a
      // container's start, health change or exit reaches the routing table after 0.5 s, not 2 s
      '--serverstransport.forwardingtimeouts.dialtimeout=1s',
      '--providers.providersthrottleduration=500ms',
      '--log.level=INFO',
    ];
    for (const [name, port] of Object.entries(this.entrypoints)) args.push(`--entrypoints.${name}.address=:${port}`);
    if (p.dashboard) args.push('--api.dashboard=true', '--api.insecure=true');
    if (p.acme) {
      args.push(
        `--certificatesresolvers.le.acme.email=${p.acme.email}`,
        '--certificatesresolvers.le.acme.storage=/letsencrypt/acme.json',
        '--certificatesresolvers.le.acme.tlschallenge=true',
        // the named entrypoint serves TLS with this resolver by default
        `--entrypoints.${p.acme.entrypoint}.http.tls.certresolver=le`,
      );
    }
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'traefik',
      image: { repository: p.image, tag: p.version },
      command: args,
      healthcheck: healthcheck({ test: ['CMD', 'traefik', 'healthcheck', '--ping'], interval: '5s', timeout: '3s', retries: 10, startPeriod: '5s' }),
      ...limits(p.resources),
      labels: p.labels,
      origin: p.origin,
    });
    // the entrypoints are the environment's front door: every interface; the API never leaves the host
    for (const [name, port] of Object.entries(this.entrypoints)) this.service.addPort(`ep-${name}`, port, port, p.bind ?? '0.0.0.0');
    if (p.dashboard) this.service.addPort('dashboard', 8080, p.dashboard.port, LOOPBACK);
    if (p.acme) this.service.addVolume('acme', '/letsencrypt');
    this.service.addBindMount(socket, '/var/run/docker.sock', true);
    environment.proxy = { service: this.service, entrypoints: Object.keys(this.entrypoints), certResolver: p.acme ? 'le' : undefined };
  }
}

export const traefikKind = defineKind({
  kind: 'traefik',
  schema: TraefikSchema,
  // first: routed services find the proxy when they are built
  rank: 0,
  check(svc, ctx) {
    const names = Object.keys(svc.entrypoints);
    if (svc.acme && !names.includes(svc.acme.entrypoint)) ctx.report(['acme', 'entrypoint'], ctx.unknown('entrypoint', svc.acme.entrypoint, names));
  },
  build: (svc, ctx) => plain(new TraefikProxy(ctx.environment, ctx.name, entryProps(svc, ctx))),
});
