/**
 * Talking to an environment's Docker hosts the way an operator would: the `docker` CLI with
 * DOCKER_HOST set to the host's URL from the environment file.
 *
 * ssh:// hosts: the docker CLI runs `ssh -l user -p port -- host docker system dial-stdio` and
 * takes no ssh options of its own, so each connection puts a small `ssh` wrapper first on PATH
 * that adds the host's options: BatchMode (never a password prompt), the pinned host key
 * (`hosts.<h>.hostKey`, written to a known_hosts file of its own with StrictHostKeyChecking=yes)
 * and the host's `sshOptions` (the same ones the docker provider gets as `ssh_opts`). The user's
 * ~/.ssh is read only as ssh itself would. tcp:// hosts with `tlsCertPath` get DOCKER_TLS_VERIFY.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSshUrl } from '../config/sections';
import { knownHosts } from '../github/plan-identity';

/** What a connection needs of a host (HostProps of the environment model). */
export interface DockerHost {
  readonly name: string;
  readonly docker: string;
  readonly sshOptions?: readonly string[];
  readonly hostKey?: string;
  readonly tlsCertPath?: string;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A word for /bin/sh, single-quoted (the only quoting with no special character inside). */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ssh options every stackyard connection adds before the host's own (ssh keeps the first value of each). */
export function sshOptionsFor(host: DockerHost, knownHostsFile?: string): string[] {
  const pinned = knownHostsFile ? ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`] : [];
  return ['-o', 'BatchMode=yes', ...pinned, ...(host.sshOptions ?? [])];
}

/** The `ssh` wrapper: the real ssh with the host's options, then whatever the docker CLI passes. */
export function sshWrapperScript(realSsh: string, options: readonly string[]): string {
  return `#!/bin/sh\nexec ${[realSsh, ...options].map(shellWord).join(' ')} "$@"\n`;
}

/** PATH with `dir` first; without a PATH, `dir` alone (a trailing empty entry would name the current folder). */
export function prependPath(dir: string, pathVar: string | undefined): string {
  return pathVar ? `${dir}${path.delimiter}${pathVar}` : dir;
}

/** The first executable `name` on PATH, leaving out `skip` (a folder of ours). */
export function which(name: string, pathVar: string | undefined, skip?: string): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir || dir === skip) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export class HostConnection {
  readonly env: NodeJS.ProcessEnv;
  private readonly dir?: string;

  constructor(readonly host: DockerHost, base: NodeJS.ProcessEnv = process.env) {
    const env: NodeJS.ProcessEnv = { ...base, DOCKER_HOST: host.docker };
    delete env.DOCKER_CONTEXT;
    if (host.docker.startsWith('ssh://')) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-ssh-'));
      const realSsh = which('ssh', base.PATH) ?? 'ssh';
      let known: string | undefined;
      if (host.hostKey) {
        known = path.join(this.dir, 'known_hosts');
        fs.writeFileSync(known, knownHosts([{ name: host.name, docker: host.docker, hostKey: host.hostKey }]), { mode: 0o600 });
      }
      fs.writeFileSync(path.join(this.dir, 'ssh'), sshWrapperScript(realSsh, sshOptionsFor(host, known)), { mode: 0o700 });
      env.PATH = prependPath(this.dir, base.PATH);
    }
    if (host.docker.startsWith('tcp://') && host.tlsCertPath) {
      env.DOCKER_TLS_VERIFY = '1';
      env.DOCKER_CERT_PATH = host.tlsCertPath;
    }
    this.env = env;
  }

  /** ssh ARGS... to the host with the same options as the docker CLI's connection (ssh:// hosts only). */
  sshArgs(command: readonly string[]): { cmd: string; args: string[] } {
    if (!this.dir) throw new Error(`host ${this.host.name} is not reached over ssh://`);
    const t = parseSshUrl(this.host.docker);
    const target = [...(t.user ? ['-l', t.user] : []), ...(t.port === undefined ? [] : ['-p', String(t.port)]), '--', t.host];
    return { cmd: path.join(this.dir, 'ssh'), args: ['-o', 'ConnectTimeout=15', ...target, ...command] };
  }

  /** docker ARGS on this host; resolves with the exit code and output (never rejects). */
  run(args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
    return runProcess('docker', args, this.env, options);
  }

  /** Like run(), for a command to read synchronously (small outputs). */
  runSync(args: readonly string[], timeoutMs = 60_000): RunResult {
    const r = spawnSync('docker', [...args], { env: this.env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
  }

  /** A long-running docker command with its own stdio (logs -f, start -a). */
  spawn(args: readonly string[], stdio: StdioOptions = 'inherit'): ChildProcess {
    return spawn('docker', [...args], { env: this.env, stdio });
  }

  /** The parsed `docker inspect` of ids (empty list for none). */
  async inspect<T>(ids: readonly string[], kind: 'container' | 'network' = 'container'): Promise<T[]> {
    if (!ids.length) return [];
    const r = await this.run([kind, 'inspect', ...ids]);
    if (r.code !== 0) throw new HostError(this.host, r.stderr);
    return JSON.parse(r.stdout) as T[];
  }

  /** Ids of the containers (all states) matching the label filters. */
  async containerIds(...labels: string[]): Promise<string[]> {
    const r = await this.run(['ps', '-aq', '--no-trunc', ...labels.flatMap((l) => ['--filter', `label=${l}`])]);
    if (r.code !== 0) throw new HostError(this.host, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  }

  close(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A host that did not answer: its name, URL and the last line docker printed. An expected failure: the command exits 1 with this message, no stack trace. */
export class HostError extends Error {
  readonly exitCode = 1;
  constructor(readonly host: DockerHost, detail: string) {
    super(`host ${host.name} (${host.docker}) did not answer: ${lastLine(detail)}`);
    this.name = 'HostError';
  }
}

export function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? 'no answer';
}

export function runProcess(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { env }); // stdin, stdout and stderr piped (spawn's default)
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    const done = (r: RunResult) => {
      clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (e) => done({ code: 127, stdout: '', stderr: e.message }));
    child.on('close', (code, signal) => {
      done({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by ${signal} (timeout)` : '') });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Opens a connection per host, runs fn, and always removes the wrappers. */
export async function withHosts<T>(hosts: readonly DockerHost[], fn: (connections: Map<string, HostConnection>) => Promise<T>): Promise<T> {
  const connections = new Map(hosts.map((h) => [h.name, new HostConnection(h)]));
  try {
    return await fn(connections);
  } finally {
    for (const c of connections.values()) c.close();
  }
}
