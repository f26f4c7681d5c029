import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { Service } from '../lib/service';
import { limits } from '../lib/values';
import { healthcheck } from '../lib/workload';

export const AlertmanagerSchema = z.strictObject({
  kind: f.kind('alertmanager', 'Alertmanager: routing tree and webhook receivers from the environment file.'),
  host: f.host,
  version: f.version('v0.28.1'),
  receivers: z.record(z.string().min(1), z.string().url()).refine((r) => Object.keys(r).length > 0, 'declare at least one receiver').describe('Receiver name → webhook URL.'),
  defaultReceiver: z.string().min(1).describe('Receiver of everything no route matches.'),
  routes: z.array(z.strictObject({
    match: z.record(z.string(), z.string()).describe('Label matchers, e.g. { severity: critical }.'),
    receiver: z.string().min(1).describe('Receiver name.'),
  })).default([]).describe('Routes to receivers by label.'),
  publish: f.port.optional().describe('Publish the API (9093) on this host port. Default: not published.'),
  bind: f.publishBind,
  resources: f.resources,
});

export type AlertmanagerProps = ConstructProps<typeof AlertmanagerSchema>;

/** Alertmanager (seed 004) with its routing tree written from the environment file. */
export class Alertmanager extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    super(scope, id);
    const p = withDefaults(AlertmanagerSchema, props);
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'alertmanager',
      image: { repository: 'prom/alertmanager', tag: p.version },
      command: ['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager'],
      healthcheck: healthcheck({ test: ['CMD', 'wget', '-qO-', 'http://localhost:9093/-/healthy'] }),
      secretsOwner: { uid: 65534, gid: 65534 }, // the official image runs as nobody
      ...limits(p.resources),
      origin: p.origin,
    });
    const lines = ['route:', `  receiver: ${JSON.stringify(p.defaultReceiver)}`];
    if (p.routes.length) {
      lines.push('  routes:');
      for (const r of p.routes) {
        lines.push(`    - receiver: ${JSON.stringify(r.receiver)}`, '      matchers:');
        for (const [k, v] of Object.entries(r.match)) lines.push(`        - ${JSON.stringify(`${k}="${v}"`)}`);
      }
    }
    lines.push('receivers:');
    for (const [name, url] of Object.entries(p.receivers)) lines.push(`  - name: ${JSON.stringify(name)}`, '    webhook_configs:', `      - url: ${JSON.stringify(url)}`);
    this.service
      .addPort('http', 9093, p.publish, p.bind)
      .addVolume('data', '/alertmanager')
      .addFile({ path: '/etc/alertmanager/alertmanager.yml', content: [lines.join('\n') + '\n'], mode: '0444' });
  }
}

export const alertmanagerKind = defineKind({
  kind: 'alertmanager',
  schema: AlertmanagerSchema,
  check(svc, ctx) {
    const names = Object.keys(svc.receivers);
    if (!names.includes(svc.defaultReceiver)) ctx.report(['defaultReceiver'], ctx.unknown('receiver', svc.defaultReceiver, names));
    svc.routes.forEach((r, i) => { if (!names.includes(r.receiver)) ctx.report(['routes', i, 'receiver'], ctx.unknown('receiver', r.receiver, names)); });
  },
  build: (svc, ctx) => plain(new Alertmanager(ctx.environment, ctx.name, entryProps(svc, ctx))),
});
