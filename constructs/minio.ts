import { Construct } from 'constructs';
import { z } from 'zod';
import * as f from '../lib/config/fields';
import { defineKind, entryProps, single, withDefaults, type ConstructProps } from '../lib/kind';
import { secretPath, Service, type Connectable } from '../lib/service';
import { limits } from '../lib/values';
import { endpoint, healthcheck } from '../lib/workload';

/** The MinIO release the kind runs unless told otherwise (pinned: MinIO tags are release dates). */
export const MINIO_TAG = 'RELEASE.2025-04-22T22-12-26Z';
/** Where the official image is told to keep its objects (`server /data`), in a protected volume. */
export const MINIO_DATA = '/data';
export const MINIO_API_PORT = 9000;
export const MINIO_CONSOLE_PORT = 9001;

export const MinioSchema = z.strictObject({
  kind: f.kind('minio', 'MinIO, an S3-compatible object store: objects in a protected volume, health check on /minio/health/live, root password from a secret file.'),
  host: f.host,
  image: f.imageOverride('minio/minio'),
  tag: z.string().min(1).default(MINIO_TAG).describe('Image tag, a MinIO release.'),
  user: z.string().regex(/^[A-Za-z0-9._@-]{3,64}$/, 'a MinIO root user is 3 to 64 letters, digits and . _ @ -').default('minio').describe('Root user name (MINIO_ROOT_USER): 3 to 64 letters, digits and . _ @ -.'),
  password: f.secretName.describe('Declared secret holding the root password, at least 8 characters (MINIO_ROOT_PASSWORD_FILE).'),
  publish: f.port.optional().describe(`Publish the S3 API (${MINIO_API_PORT}) on the host at this port (needed by services on other hosts). Default: not published.`),
  bind: f.publishBind,
  resources: f.resources,
  labels: f.labels,
});

export type MinioProps = ConstructProps<typeof MinioSchema>;

/**
 * MinIO as its official image runs it: `server /data --console-address :9001`, the root user in
 * MINIO_ROOT_USER and the root password read from a secret file (MINIO_ROOT_PASSWORD_FILE, which
 * the server reads itself), objects in a protected volume, healthy once /minio/health/live
 * answers 200 (asked with bash's /dev/tcp: the image has no curl).
 */
export class Minio extends Construct implements Connectable {
  readonly service: Service;
  readonly user: string;
  readonly passwordSecret: string;

  constructor(scope: Construct, id: string, props: MinioProps) {
    super(scope, id);
    const p = withDefaults(MinioSchema, props);
    this.user = p.user;
    this.passwordSecret = p.password;
    this.service = new Service(this, 'Default', {
      name: id,
      host: p.host,
      kind: 'minio',
      image: { repository: p.image ?? 'minio/minio', tag: p.tag },
      command: ['server', MINIO_DATA, '--console-address', `:${MINIO_CONSOLE_PORT}`],
      healthcheck: healthcheck({
        test: ['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${MINIO_API_PORT} && printf 'GET /minio/health/live HTTP/1.0\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ "$status" == *" 200 "* ]]`],
        interval: '5s',
        timeout: '5s',
        retries: 10,
        startPeriod: '10s',
      }),
      stateful: true,
      ...limits(p.resources),
      labels: p.labels,
      origin: p.origin,
    });
    this.service
      .addEnv('MINIO_ROOT_USER', this.user)
      .addSecret(this.passwordSecret)
      .addEnv('MINIO_ROOT_PASSWORD_FILE', secretPath(this.passwordSecret))
      .addPort('s3', MINIO_API_PORT, p.publish, p.bind)
      .addPort('console', MINIO_CONSOLE_PORT)
      .addVolume('data', MINIO_DATA);
  }

  /** The consumer gets S3_ENDPOINT, S3_ACCESS_KEY_ID and the secret key as a file (S3_SECRET_ACCESS_KEY_FILE), and waits for health. */
  connect(consumer: Service): void {
    consumer.dependOn(this.service, 'healthy');
    const ep = endpoint(this.service, 's3', consumer);
    if (!ep) return;
    consumer
      .addEnv('S3_ENDPOINT', `http://${ep.host}:${ep.port}`)
      .addEnv('S3_ACCESS_KEY_ID', this.user)
      .addSecret(this.passwordSecret)
      .addEnv('S3_SECRET_ACCESS_KEY_FILE', secretPath(this.passwordSecret));
  }
}

export const minioKind = defineKind({
  kind: 'minio',
  schema: MinioSchema,
  rank: 1,
  stateful: true,
  build: (svc, ctx) => single(new Minio(ctx.stack, ctx.name, entryProps(svc, ctx))),
});
