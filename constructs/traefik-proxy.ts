import { Construct } from 'constructs';
import { EnvironmentStack } from '../lib/environment-stack';
import { LOOPBACK, Service } from '../lib/service';
import { healthcheck } from '../lib/workload';
import { limits, type Origin } from '../lib/values';

export interface TraefikProxyProps {
  readonly host: string;
  /** @default "v3.6" */
  readonly version?: string;
  /** @default traefik */
  readonly image?: string;
  /** Entrypoint name → host port (the container listens on the same port). @default { web: 80 } */
  readonly entrypoints?: Readonly<Record<string, number>>;
  /** Dashboard and (insecure) API published on this host port, on 127.0.0.1 only: reach it through an SSH tunnel. @default - off */
  readonly dashboardPort?: number;
  /** Host address the entrypoints listen on. @default 0.0.0.0 (the proxy is the environment's front door) */
  readonly bind?: string;
  /** Let's Encrypt via the TLS challenge on the named entrypoint. @default - off */
  readonly acme?: { readonly email: string; readonly entrypoint: string };
  /**
   * Docker socket path on the host, mounted read-only for the Docker provider.
   * @default - the unix:// path of the host's docker URL, else /var/run/docker.sock
   */
  readonly dockerSocket?: string;
  /** @default - unlimited */
  readonly cpus?: number;
  /** @default - unlimited */
  readonly memory?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default - construct path */
  readonly origin?: Origin;
}

/**
 * Traefik v3 as the environment's reverse proxy. Its Docker provider sees only containers
 * that opt in by label, belong to this environment and sit on the proxy network.
 */
export class TraefikProxy extends Construct {
  readonly service: Service;
  readonly entrypoints: Readonly<Record<string, number>>;

  constructor(scope: Construct, id: string, props: TraefikProxyProps) {
    super(scope, id);
    const stack = EnvironmentStack.of(this);
    const env = stack.environmentName;
    this.entrypoints = props.entrypoints ?? { web: 80 };
    const hostUrl = stack.hosts.get(props.host)?.docker ?? '';
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
    if (props.dashboardPort) args.push('--api.dashboard=true', '--api.insecure=true');
    if (props.acme) {
      args.push(
        `--certificatesresolvers.le.acme.email=${props.acme.email}`,
        '--certificatesresolvers.le.acme.storage=/letsencrypt/acme.json',
        '--certificatesresolvers.le.acme.tlschallenge=true',
      );
    }
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'traefik',
      image: { repository: props.image ?? 'traefik', tag: props.version ?? 'v3.6' },
      command: args,
      healthcheck: healthcheck({ test: ['CMD', 'traefik', 'healthcheck', '--ping'], interval: '5s', timeout: '3s', retries: 10, startPeriod: '5s' }),
      ...limits(props),
      labels: props.labels,
      origin: props.origin,
    });
    // the entrypoints are the environment's front door: every interface; the API never leaves the host
    for (const [name, port] of Object.entries(this.entrypoints)) this.service.addPort(`ep-${name}`, port, port, props.bind ?? '0.0.0.0');
    if (props.dashboardPort) this.service.addPort('dashboard', 8080, props.dashboardPort, LOOPBACK);
    if (props.acme) this.service.addVolume('acme', '/letsencrypt');
    this.service.addBindMount(socket, '/var/run/docker.sock', true);
    stack.proxy = { service: this.service, entrypoints: Object.keys(this.entrypoints), certResolver: props.acme ? 'le' : undefined };
  }
}
