/**
 * `stackyard exec <env> <service> -- <cmd...>`: a command next to a service.
 *
 * Default: a one-off container on the service's host, made from what a replica of the service
 * runs (`docker inspect` of it, running or a job's exited one): the same image id, environment,
 * user, supplementary groups, working directory and networks (without the service's DNS alias,
 * so it receives no traffic), and its uploaded files (secrets under /run/secrets and generated
 * files) copied from that replica by `docker cp` through a pipe. No value is ever on a command
 * line: the environment goes through an env file (mode 0600 in a private folder, deleted once
 * the container exists), files as a tar stream. The container is created with --rm, labelled
 * `stackyard.exec` (not the environment label: the proxy, the orphan reaper and `status` leave
 * it alone) and removed afterwards whatever happens (`docker rm -f` in a finally).
 * `--reuse`: `docker exec` in a running replica instead.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Environment } from '../environment';
import { CliError } from '../cli/exit-codes';
import { ENV_LABEL } from '../docker/render';
import { secretPath, type Service } from '../service';
import { HostError, withHosts, type HostConnection } from './docker';
import { serviceOf } from './model';

export interface ExecOptions {
  readonly interactive?: boolean;
  readonly tty?: boolean;
  readonly reuse?: boolean;
  /** Which replica to read from or exec in. @default - the first running one */
  readonly replica?: number;
}

/** The fields of `docker inspect` a one-off container copies. */
export interface SourceContainer {
  readonly Id: string;
  readonly Name: string;
  readonly Image: string;
  readonly State: { readonly Running: boolean; readonly Status: string };
  readonly Config: {
    readonly Env?: readonly string[] | null;
    readonly User?: string;
    readonly WorkingDir?: string;
    readonly Labels?: Readonly<Record<string, string>> | null;
  };
  readonly HostConfig?: { readonly GroupAdd?: readonly string[] | null };
  readonly NetworkSettings?: { readonly Networks?: Readonly<Record<string, unknown>> | null };
}

/** The replica to use: the asked one, else the first running one, else (one-off only) any. */
export function pickSource(containers: readonly SourceContainer[], o: ExecOptions): SourceContainer | undefined {
  const replica = (c: SourceContainer) => Number(c.Config.Labels?.['stackyard.replica'] ?? 0);
  const sorted = [...containers].sort((a, b) => replica(a) - replica(b));
  const candidates = o.replica !== undefined ? sorted.filter((c) => replica(c) === o.replica) : sorted;
  return candidates.find((c) => c.State.Running) ?? (o.reuse ? undefined : candidates[0]);
}

/** Files the service's containers get uploaded: secret files and generated files, sorted. */
export function uploadedFiles(s: Service): string[] {
  return [...s.secrets.filter((x) => x.as === 'file').map((x) => secretPath(x.name)), ...s.files.map((f) => f.path)].sort();
}

/** The env file for `docker create --env-file`: one VAR=value a line; a value with a newline cannot be written so. */
export function envFile(env: readonly string[]): string {
  for (const e of env) {
    if (/[\n\r]/.test(e)) throw new CliError(`the environment variable ${e.split('=')[0]} holds a line break, which docker's env file cannot carry; use --reuse`);
  }
  return env.length ? `${env.join('\n')}\n` : '';
}

export interface OneOffPlan {
  readonly name: string;
  /** docker create arguments (no value of the environment on them). */
  readonly create: string[];
  /** Networks to connect after create (docker 20.10 takes one at create). */
  readonly connect: string[];
  readonly start: string[];
}

/** The docker commands of a one-off container, from the source replica and the model. */
export function oneOffPlan(input: { env: string; service: Service; source: SourceContainer; command: readonly string[]; envFilePath: string; suffix: string; o: ExecOptions }): OneOffPlan {
  const { service: s, source, o } = input;
  const name = `${input.env}-${s.serviceName}-run-${input.suffix}`;
  const networks = Object.keys(source.NetworkSettings?.Networks ?? {}).sort();
  const entry = s.entrypoint && s.entrypoint.length ? s.entrypoint : undefined;
  const create = [
    'create', '--rm', '--name', name, '--hostname', name,
    '--label', `stackyard.exec=${input.env}`, '--label', `stackyard.exec.service=${s.serviceName}`,
    '--env-file', input.envFilePath,
    ...(source.Config.User ? ['--user', source.Config.User] : []),
    ...(source.HostConfig?.GroupAdd ?? []).flatMap((g) => ['--group-add', g]),
    ...(source.Config.WorkingDir ? ['--workdir', source.Config.WorkingDir] : []),
    ...(networks.length ? ['--network', networks[0]] : []),
    ...(o.interactive ? ['--interactive'] : []),
    ...(o.interactive && o.tty ? ['--tty'] : []),
    ...(entry ? ['--entrypoint', entry[0]] : []),
    source.Image,
    ...(entry ? entry.slice(1) : []),
    ...input.command,
  ];
  return { name, create, connect: networks.slice(1), start: ['start', '--attach', ...(o.interactive ? ['--interactive'] : []), name] };
}

/** Copies a file from one container to another on the same host: `docker cp a:path - | docker cp - b:dir`. */
function copyFile(conn: HostConnection, from: string, to: string, file: string, destDir: string): Promise<{ ok: boolean; error: string }> {
  return new Promise((resolve) => {
    const src = conn.spawn(['cp', `${from}:${file}`, '-'], ['ignore', 'pipe', 'pipe']);
    const dst = conn.spawn(['cp', '-', `${to}:${destDir}`], ['pipe', 'ignore', 'pipe']);
    let error = '';
    src.stderr!.on('data', (d) => (error += d));
    dst.stderr!.on('data', (d) => (error += d));
    src.stdout!.pipe(dst.stdin!);
    dst.stdin!.on('error', () => undefined);
    let codes = 0;
    let ok = true;
    const done = (code: number | null) => {
      if (code !== 0) ok = false;
      if (++codes === 2) resolve({ ok, error: error.trim() });
    };
    src.on('close', done);
    dst.on('close', done);
  });
}

/** Copies the uploaded files, creating missing folders by copying the folder itself (/run/secrets into /run). */
async function copyUploads(conn: HostConnection, from: string, to: string, files: readonly string[]): Promise<void> {
  const copiedDirs = new Set<string>();
  for (const f of files) {
    const dir = path.posix.dirname(f);
    if (copiedDirs.has(dir)) continue;
    const r = await copyFile(conn, from, to, f, dir);
    if (r.ok) continue;
    // the folder does not exist in the image (uploads create it): bring the folder along
    const again = await copyFile(conn, from, to, dir, path.posix.dirname(dir));
    if (!again.ok) throw new CliError(`could not copy ${f} from ${from} into the one-off container: ${again.error || r.error}`);
    copiedDirs.add(dir);
  }
}

async function replicasOf(conn: HostConnection, env: string, service: string): Promise<SourceContainer[]> {
  return conn.inspect<SourceContainer>(await conn.containerIds(`${ENV_LABEL}=${env}`, `stackyard.service=${service}`));
}

function runAttached(conn: HostConnection, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = conn.spawn(args, 'inherit');
    // the terminal's Ctrl-C reaches docker too; this process stays to clean up
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGTERM', ignore);
    child.on('close', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', ignore);
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

export async function runExec(stack: Environment, serviceName: string, command: readonly string[], o: ExecOptions): Promise<number> {
  if (!command.length) throw new CliError('no command given; put it after --, e.g. stackyard exec staging backend -- ls /run/secrets', 2);
  const s = serviceOf(stack, serviceName);
  const env = stack.environmentName;
  const host = stack.hosts.get(s.host)!;
  return withHosts([host], async (conns) => {
    const conn = conns.get(host.name)!;
    let replicas: SourceContainer[];
    try {
      replicas = await replicasOf(conn, env, s.serviceName);
    } catch (e) {
      if (e instanceof HostError) throw new CliError(e.message);
      throw e;
    }
    const source = pickSource(replicas, o);
    if (!source) {
      const which = o.replica !== undefined ? `replica ${o.replica} of ${s.serviceName}` : s.serviceName;
      throw new CliError(o.reuse
        ? `no running ${which} on ${host.name}; run without --reuse for a one-off container, or deploy ${env}`
        : `no container of ${which} on ${host.name} to take its settings and files from; deploy ${env} first`);
    }
    const sourceName = source.Name.replace(/^\//, '');
    if (o.reuse) {
      return runAttached(conn, ['exec', ...(o.interactive ? ['--interactive'] : []), ...(o.interactive && o.tty ? ['--tty'] : []), sourceName, ...command]);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-exec-'));
    const envFilePath = path.join(dir, 'env');
    const plan = oneOffPlan({ env, service: s, source, command, envFilePath, suffix: crypto.randomBytes(3).toString('hex'), o });
    let created = false;
    try {
      fs.writeFileSync(envFilePath, envFile(source.Config.Env ?? []), { mode: 0o600 });
      const c = await conn.run(plan.create);
      fs.rmSync(dir, { recursive: true, force: true });
      if (c.code !== 0) throw new CliError(`could not create the one-off container on ${host.name}: ${c.stderr.trim()}`);
      created = true;
      for (const n of plan.connect) {
        const r = await conn.run(['network', 'connect', n, plan.name]);
        if (r.code !== 0) throw new CliError(`could not connect the one-off container to ${n}: ${r.stderr.trim()}`);
      }
      await copyUploads(conn, sourceName, plan.name, uploadedFiles(s));
      return await runAttached(conn, plan.start);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      if (created) await conn.run(['rm', '--force', '--volumes', plan.name]);
    }
  });
}

/** For tests: whether anything of a one-off run is left on a host. */
export async function leftovers(conn: HostConnection, env: string): Promise<string[]> {
  const r = await conn.run(['ps', '-a', '--format', '{{.Names}}', '--filter', `label=stackyard.exec=${env}`]);
  return r.stdout.split('\n').filter(Boolean);
}
