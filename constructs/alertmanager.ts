import { Construct } from 'constructs';
import { Service } from '../lib/service';
import { limits, type Origin } from '../lib/values';
import { healthcheck } from '../lib/workload';

export interface AlertmanagerRoute {
  /** Label matchers, e.g. { severity: critical }. */
  readonly match: Readonly<Record<string, string>>;
  readonly receiver: string;
}

export interface AlertmanagerProps {
  readonly host: string;
  /** @default "v0.28.1" */
  readonly version?: string;
  /** Receiver names → webhook URLs. */
  readonly receivers: Readonly<Record<string, string>>;
  /** Receiver of everything no route matches. */
  readonly defaultReceiver: string;
  /** @default [] */
  readonly routes?: readonly AlertmanagerRoute[];
  /** @default - not published */
  readonly publish?: number;
  /** @default - unlimited */
  readonly cpus?: number;
  /** @default - unlimited */
  readonly memory?: string;
  /** Host address the published port(s) listen on. @default 127.0.0.1 (this host only) */
  readonly bind?: string;
  /** @default - construct path */
  readonly origin?: Origin;
}

/** Alertmanager (seed 004) with its routing tree written from the environment file. */
export class Alertmanager extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    this.service = new Service(this, 'Default', {
      name: id,
      host: props.host,
      kind: 'alertmanager',
      image: { repository: 'prom/alertmanager', tag: props.version ?? 'v0.28.1' },
      command: ['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager'],
      healthcheck: healthcheck({ test: ['CMD', 'wget', '-qO-', 'http://localhost:9093/-/healthy'] }),
      secretsOwner: { uid: 65534, gid: 65534 }, // the official image runs as nobody
      ...limits(props),
      origin: props.origin,
    });
    const lines = ['route:', `  receiver: ${JSON.stringify(props.defaultReceiver)}`];
    if (props.routes?.length) {
      lines.push('  routes:');
      for (const r of props.routes) {
        lines.push(`    - receiver: ${JSON.stringify(r.receiver)}`, '      matchers:');
        for (const [k, v] of Object.entries(r.match)) lines.push(`        - ${JSON.stringify(`${k}="${v}"`)}`);
      }
    }
    lines.push('receivers:');
    for (const [name, url] of Object.entries(props.receivers)) lines.push(`  - name: ${JSON.stringify(name)}`, '    webhook_configs:', `      - url: ${JSON.stringify(url)}`);
    this.service
      .addPort('http', 9093, props.publish, props.bind)
      .addVolume('data', '/alertmanager')
      .addFile({ path: '/etc/alertmanager/alertmanager.yml', content: [lines.join('\n') + '\n'], mode: '0444' });
  }
}
