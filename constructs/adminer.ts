import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { Environment } from '../lib/environment';
import { defineKind, entryProps, plain, withDefaults, type ConstructProps } from '../lib/kind';
import { Service } from '../lib/service';
import { healthcheck } from '../lib/workload';
import { limits } from '../lib/values';

export const AdminerSchema = z.strictObject({
  kind: f.kind('adminer', 'The Adminer database UI behind the proxy; not allowed in production.'),
  host: f.host,
  version: f.version('5'),
  route: z.string().min(1).describe('Traefik rule, e.g. Host(`adminer.example.com`).'),
  entrypoints: f.routed.entrypoints,
  resources: f.resources,
  labels: f.labels,
});

export type AdminerProps = ConstructProps<typeof AdminerSchema>;

/** The Adminer database UI behind the proxy, for non-production environments only. */
export class Adminer extends Construct {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: AdminerProps) {
    super(scope, id);
    const p = withDefaults(AdminerSchema, props);
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'adminer',
      image: { repository: 'adminer', tag: p.version },
      healthcheck: healthcheck({ test: 'php -r "exit(@file_get_contents(\'http://localhost:8080/\') === false ? 1 : 0);"' }),
      ...limits(p.resources),
      labels: p.labels,
      origin: p.origin,
    });
    this.service.addPort('http', 8080).addRoute({ rule: p.route, port: 8080, entrypoints: p.entrypoints });
    const environment = Environment.of(this);
    if (environment.production) environment.wiringProblems.push({ ...this.service.origin.locate('kind'), message: 'Adminer is not allowed in a production environment; remove it or set production: false' });
  }
}

export const adminerKind = defineKind({
  kind: 'adminer',
  schema: AdminerSchema,
  build: (svc, ctx) => plain(new Adminer(ctx.environment, ctx.name, entryProps(svc, ctx))),
});
