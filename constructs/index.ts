/**
 * The service kinds, one file each (schema, checks, construct, how it is built). lib/config/schema.ts
 * builds the `services:` schema from this list and lib/build.ts loops over it; adding a kind is
 * adding its file and one line here.
 */
import { adminerKind } from './adminer';
import { alertmanagerKind } from './alertmanager';
import { celeryBeatKind } from './celery-beat';
import { celeryWorkerKind } from './celery-worker';
import { genericKind } from './generic-service';
import { grafanaKind } from './grafana';
import { jaegerKind } from './jaeger';
import { nfsServerKind } from './nfs-server';
import { jobKind } from './one-shot-job';
import { postgresKind } from './postgres';
import { postgresBackupKind } from './postgres-backup';
import { prometheusKind } from './prometheus';
import { redisKind } from './redis';
import { scheduledJobKind } from './scheduled-job';
import { singletonKind } from './singleton-service';
import { traefikKind } from './traefik-proxy';
import { webKind } from './web-service';
import { workerPoolKind } from './worker-pool';

export const KINDS = [
  traefikKind, postgresKind, redisKind, webKind, singletonKind, jobKind, adminerKind, genericKind,
  celeryWorkerKind, celeryBeatKind, workerPoolKind, prometheusKind, grafanaKind, jaegerKind,
  scheduledJobKind, postgresBackupKind, alertmanagerKind, nfsServerKind,
] as const;

/** Every service kind's name: what `kind:` takes. */
export type ServiceKind = (typeof KINDS)[number]['kind'];
