/**
 * What stackyard keeps on an environment's first host, next to its containers: the deploy lock
 * (container `stackyard-lock-<env>`, lib/deploy/deploy-lock.ts) and the deploy record (file
 * deploys.jsonl in volume `stackyard-records-<env>`, reached through the created, never started
 * container `stackyard-records-<env>`, lib/deploy/records.ts). Both come from a tiny empty image
 * `stackyard/marker:1` imported on the host (no registry, no pull); neither carries the
 * `stackyard.environment` label, so the orphan reaper and `down` leave them alone.
 */
import { lockLabels, parseLockLabels, type LockInfo } from './deploy-lock';
import { dockerSync } from './host-docker';
import { tarOneFile, untarFirstFile } from './tar';

export const MARKER_IMAGE = 'stackyard/marker:1';
export const lockContainer = (env: string) => `stackyard-lock-${env}`;
export const recordsContainer = (env: string) => `stackyard-records-${env}`;
export const recordsVolume = (env: string) => `stackyard-records-${env}`;
const RECORDS_FILE = 'deploys.jsonl';

export class HostError extends Error {
  readonly exitCode = 1;
}

interface Out {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export function dockerOn(host: string, args: readonly string[], input?: Buffer): Out {
  const r = dockerSync(host, args, input);
  if (r.error) throw new HostError(`docker on ${host}: ${r.error.message}`);
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const missing = (o: Out) => /No such (object|container|image)|not found/i.test(o.stderr);

function failed(host: string, what: string, o: Out): never {
  const why = o.stderr.trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${o.status}`;
  throw new HostError(`${what} on ${host} failed: ${why}`);
}

/** Imports the empty marker image when the host lacks it. */
function ensureMarker(host: string): void {
  if (dockerOn(host, ['image', 'inspect', '--format', '{{.Id}}', MARKER_IMAGE]).status === 0) return;
  const empty = Buffer.alloc(1024, 0); // a tar archive with no entries
  const o = dockerOn(host, ['import', '--change', 'LABEL stackyard.role=marker', '--change', 'CMD ["stackyard-marker"]', '-', MARKER_IMAGE], empty);
  if (o.status !== 0) failed(host, `importing ${MARKER_IMAGE}`, o);
}

/** Docker's `create` with the marker image, importing it first when the host lacks it. */
function createMarker(host: string, args: readonly string[]): Out {
  let o = dockerOn(host, ['create', ...args, MARKER_IMAGE]);
  if (o.status !== 0 && /No such image|Unable to find image/i.test(o.stderr)) {
    ensureMarker(host);
    o = dockerOn(host, ['create', ...args, MARKER_IMAGE]);
  }
  return o;
}

/** The lock, with the id of its container (to remove exactly the lock that was read). */
export function readLock(host: string, env: string): (LockInfo & { readonly id: string }) | undefined {
  const o = dockerOn(host, ['container', 'inspect', '--format', '{{.Id}} {{json .Config.Labels}}', lockContainer(env)]);
  if (o.status !== 0) {
    if (missing(o)) return undefined;
    failed(host, 'reading the deploy lock', o);
  }
  const text = o.stdout.toString('utf8');
  const space = text.indexOf(' ');
  const info = parseLockLabels(JSON.parse(text.slice(space + 1)) as Record<string, string>);
  return info && { ...info, id: text.slice(0, space) };
}

/** Takes the lock; false when someone else has it (Docker refuses the second name). */
export function createLock(host: string, info: LockInfo): boolean {
  const labels = Object.entries(lockLabels(info)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const o = createMarker(host, ['--name', lockContainer(info.environment), ...labels]);
  if (o.status === 0) return true;
  if (/Conflict|already in use/i.test(o.stderr)) return false;
  return failed(host, 'taking the deploy lock', o);
}

/** Removes the lock; with `id`, only that container (a lock taken again meanwhile stays). */
export function removeLock(host: string, env: string, id?: string): void {
  const o = dockerOn(host, ['rm', '-f', id ?? lockContainer(env)]);
  if (o.status !== 0 && !missing(o)) failed(host, 'releasing the deploy lock', o);
}

function ensureRecordsContainer(host: string, env: string): void {
  const name = recordsContainer(env);
  if (dockerOn(host, ['container', 'inspect', '--format', '{{.Id}}', name]).status === 0) return;
  const o = createMarker(host, ['--name', name, '--label', `stackyard.records=${env}`, '-v', `${recordsVolume(env)}:/records`]);
  if (o.status !== 0 && !/Conflict|already in use/i.test(o.stderr)) failed(host, 'creating the record container', o);
}

/** The record file's text ('' when there is none yet). */
export function readRecordsText(host: string, env: string): string {
  let o = dockerOn(host, ['cp', `${recordsContainer(env)}:/records/${RECORDS_FILE}`, '-']);
  if (o.status !== 0 && /No such container/i.test(o.stderr)) {
    ensureRecordsContainer(host, env);
    o = dockerOn(host, ['cp', `${recordsContainer(env)}:/records/${RECORDS_FILE}`, '-']);
  }
  if (o.status !== 0) {
    if (/Could not find the file|No such (file|container)/i.test(o.stderr)) return '';
    failed(host, 'reading the deploy record', o);
  }
  return untarFirstFile(o.stdout)?.toString('utf8') ?? '';
}

export function writeRecordsText(host: string, env: string, text: string): void {
  ensureRecordsContainer(host, env);
  const o = dockerOn(host, ['cp', '-', `${recordsContainer(env)}:/records`], tarOneFile(RECORDS_FILE, Buffer.from(text, 'utf8'), Math.floor(Date.now() / 1000)));
  if (o.status !== 0) failed(host, 'writing the deploy record', o);
}

/** Local tags of an image repository on a host. */
export function localTags(host: string, repository: string): string[] {
  const o = dockerOn(host, ['images', repository, '--format', '{{.Tag}}']);
  if (o.status !== 0) failed(host, `listing ${repository} images`, o);
  return o.stdout.toString('utf8').split('\n').map((s) => s.trim()).filter(Boolean);
}

/** Removes an image tag; an image a container still uses stays (false). */
export function removeImage(host: string, ref: string): boolean {
  return dockerOn(host, ['rmi', ref]).status === 0;
}
