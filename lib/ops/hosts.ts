/**
 * `stackyard hosts <env>`: check-only host checks before a deploy (like `kamal server bootstrap`,
 * but it changes nothing). Per host: reachable (over ssh:// with the pinned host key and the
 * host's ssh options, the same connection the deploy uses), Docker engine version, free disk on
 * the engine's data root, clock skew between this machine and the engine, and, where a service
 * mounts an NFS volume, the kernel's NFS support. One line per host;
 * each failure names what is missing and how to fix it. The verdicts are pure functions here.
 */
import * as fs from 'node:fs';
import type { Environment } from '../environment';
import { lastLine, runProcess, withHosts, type HostConnection, type RunResult } from './docker';
import { usedHosts } from './model';
import { shellQuote } from '../values';

/** The oldest engine stackyard is tested with (Debian's docker.io 20.10; API 1.41 for the provider). */
export const MIN_DOCKER_VERSION = '20.10.0';
/** Below this much free space on the data root a deploy (image pulls, logs) is likely to fail. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;
/** More skew than this breaks TLS, tokens and log correlation. */
export const MAX_SKEW_SECONDS = 30;

export type Verdict = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly text: string; readonly fix: string };

export interface HostCheck {
  readonly host: string;
  readonly docker: string;
  readonly reachable: Verdict;
  readonly engine?: Verdict;
  readonly disk?: Verdict;
  readonly clock?: Verdict;
  /** Only on hosts where a service mounts an NFS volume. */
  readonly nfs?: Verdict;
  readonly ok: boolean;
}

/** Why a connection failed, in words, with the fix. */
export function classifyConnectionError(url: string, stderr: string): { text: string; fix: string } {
  const ssh = url.startsWith('ssh://');
  const line = lastLine(stderr);
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (ED25519|ECDSA|RSA)? ?host key is known/i.test(stderr)) {
    return { text: 'host key not accepted', fix: 'pin the host key in hosts.<h>.hostKey (ssh-keyscan -t ed25519 <host>, checked out of band) or in the known_hosts file of its sshOptions' };
  }
  if (/Permission denied \(/i.test(stderr)) return { text: 'ssh key refused', fix: "add this machine's deploy key to the user's ~/.ssh/authorized_keys on the host (or give -i <key> in sshOptions)" };
  if (/Could not resolve hostname|Name or service not known/i.test(stderr)) return { text: 'host name does not resolve', fix: 'check the host name in hosts.<h>.docker' };
  if (/Connection refused/i.test(stderr)) return { text: ssh ? 'ssh connection refused' : 'connection refused', fix: ssh ? 'start sshd on the host, or fix the port in hosts.<h>.docker' : 'start the Docker engine (systemctl start docker) or fix hosts.<h>.docker' };
  if (/timed out|No route to host|Network is unreachable|killed by SIGKILL/i.test(stderr)) return { text: 'no answer (timeout)', fix: 'check the address, the firewall and that the host is up' };
  if (/docker: (command )?not found|docker: No such file/i.test(stderr)) return { text: 'no docker command on the host', fix: 'install Docker on the host (apt-get install docker.io)' };
  if (/permission denied while trying to connect to the Docker daemon socket/i.test(stderr)) return { text: 'no access to the Docker socket', fix: 'add the ssh user to the docker group on the host (usermod -aG docker <user>), or connect as root' };
  if (/Cannot connect to the Docker daemon|Is the docker daemon running/i.test(stderr)) return { text: 'Docker engine not running', fix: 'start it on the host (systemctl start docker)' };
  return { text: line, fix: ssh ? 'run the same connection by hand: ssh <sshOptions> <user@host> docker version' : 'check that the Docker engine answers at this URL' };
}

/** Compares dotted versions numerically (20.10.24+dfsg1 counts as 20.10.24). */
export function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string) => (v.match(/^\d+(\.\d+)*/)?.[0] ?? '0').split('.').map(Number);
  const a = parse(version);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export function engineVerdict(version: string | undefined): Verdict {
  if (!version) return { ok: false, text: 'engine version unknown', fix: 'check docker version on the host' };
  return versionAtLeast(version, MIN_DOCKER_VERSION)
    ? { ok: true, text: `Docker ${version}` }
    : { ok: false, text: `Docker ${version} is older than ${MIN_DOCKER_VERSION}`, fix: 'upgrade Docker on the host (Debian 12 or later ships a recent docker.io)' };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `freeBytes`: what the host reported; 'not asked' for a tcp:// engine (no shell on the host to ask). */
export function diskVerdict(root: string, freeBytes: number | undefined | 'not asked', minFree = MIN_FREE_BYTES): Verdict {
  if (freeBytes === 'not asked') return { ok: true, text: `free space on ${root} not checked (tcp://)` };
  if (freeBytes === undefined) return { ok: false, text: `free space on ${root} unknown`, fix: 'check df on the host (a tcp:// host is not asked over ssh)' };
  return freeBytes >= minFree
    ? { ok: true, text: `${formatBytes(freeBytes)} free on ${root}` }
    : { ok: false, text: `only ${formatBytes(freeBytes)} free on ${root} (at least ${formatBytes(minFree)} needed)`, fix: 'free space: docker system prune (unused images), or grow the disk' };
}

/** `engineTime` is the engine's clock, read between `sentAt` and `receivedAt` of this machine. */
export function clockVerdict(engineTime: string | undefined, sentAt: number, receivedAt: number, max = MAX_SKEW_SECONDS): Verdict {
  const t = engineTime ? Date.parse(engineTime) : NaN;
  if (Number.isNaN(t)) return { ok: false, text: 'engine clock unknown', fix: 'check docker info on the host' };
  const skew = (t - (sentAt + receivedAt) / 2) / 1000;
  const text = `clock ${skew >= 0 ? '+' : '-'}${Math.abs(skew).toFixed(1)}s`;
  return Math.abs(skew) <= max ? { ok: true, text } : { ok: false, text: `${text} off this machine (more than ${max}s)`, fix: 'run time synchronisation on the host (systemd-timesyncd or chrony)' };
}

/**
 * Whether the host's kernel can mount NFS, which Docker's `local` volume driver needs for an
 * `nfs` volume (it mounts through the kernel, not a user-space client): `nfs` or `nfs4` in
 * /proc/filesystems (built in, or a module already loaded), or an `nfs` module the kernel loads on
 * the first mount. `probe`: /proc/filesystems, a line `---`, then the module files found (if any);
 * 'not asked' for a tcp:// engine.
 */
export function nfsVerdict(probe: string | undefined | 'not asked'): Verdict {
  if (probe === 'not asked') return { ok: true, text: 'NFS client not checked (tcp://)' };
  if (probe === undefined) return { ok: false, text: 'NFS support unknown', fix: 'check on the host: grep nfs /proc/filesystems, or modprobe nfs' };
  const [filesystems, modules = ''] = probe.split(/^---$/m);
  const listed = filesystems.split('\n').some((l) => /^\s*(nodev\s+)?nfs4?\s*$/.test(l));
  if (listed) return { ok: true, text: 'NFS client (kernel)' };
  if (/\bnfs\.ko/.test(modules)) return { ok: true, text: 'NFS client (module)' };
  return { ok: false, text: 'no NFS support in the kernel (an nfs volume cannot be mounted here)', fix: 'install the NFS client (apt-get install nfs-common) on a kernel with NFS (modprobe nfs must work), or move the services that mount NFS volumes to another host' };
}

/** The shell probe behind nfsVerdict, run on the host. */
export const NFS_PROBE = 'cat /proc/filesystems; echo ---; find /lib/modules/"$(uname -r)" -name "nfs.ko*" 2>/dev/null | head -1';

/** `df -Pk <dir>` output → free bytes. */
export function parseDf(out: string): number | undefined {
  const line = out.trim().split('\n').slice(-1)[0] ?? '';
  const cols = line.trim().split(/\s+/);
  const avail = Number(cols[3]);
  return cols.length >= 6 && Number.isFinite(avail) ? avail * 1024 : undefined;
}

export function formatHostCheck(c: HostCheck): string {
  const parts = [c.reachable, c.engine, c.disk, c.clock, c.nfs].filter((v): v is Verdict => v !== undefined);
  const head = `${c.ok ? 'ok  ' : 'FAIL'} ${c.host} (${c.docker}): ${parts.map((v) => v.text).join(', ')}`;
  const fixes = parts.filter((v): v is Extract<Verdict, { ok: false }> => !v.ok).map((v) => `       ${v.text}: ${v.fix}`);
  return [head, ...fixes].join('\n');
}

/**
 * Runs a shell command where the host's engine is: on this machine for unix://, through the
 * host's ssh (its pinned key and options) for ssh://; 'not asked' for tcp://, which has no shell.
 */
export async function onHostShell(conn: HostConnection, command: string): Promise<RunResult | 'not asked'> {
  const url = conn.host.docker;
  if (url.startsWith('unix://')) return runProcess('sh', ['-c', command], process.env, { timeoutMs: 30_000 });
  if (url.startsWith('ssh://')) {
    // ssh hands the remote shell one string: the command as one quoted word for sh -c
    const { cmd, args } = conn.sshArgs(['sh', '-c', shellQuote(command)]);
    return runProcess(cmd, args, conn.env, { timeoutMs: 30_000 });
  }
  return 'not asked';
}

/** What a probe printed, undefined when it failed, 'not asked' where there is no shell. */
const probeOutput = (r: RunResult | 'not asked') => (r === 'not asked' ? r : r.code === 0 ? r.stdout : undefined);

export async function freeOnRoot(conn: HostConnection, root: string): Promise<number | undefined | 'not asked'> {
  if (conn.host.docker.startsWith('unix://')) {
    try {
      const s = fs.statfsSync(root);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      return undefined;
    }
  }
  // the folder quoted, so one with a space is one word
  const out = probeOutput(await onHostShell(conn, `df -Pk -- ${shellQuote(root)}`));
  return out === 'not asked' || out === undefined ? out : parseDf(out);
}

const nfsProbe = async (conn: HostConnection) => probeOutput(await onHostShell(conn, NFS_PROBE));

export async function checkHost(conn: HostConnection, needsNfs = false): Promise<HostCheck> {
  const base = { host: conn.host.name, docker: conn.host.docker };
  const sentAt = Date.now();
  const r = await conn.run(['info', '--format', '{{json .}}'], { timeoutMs: 45_000 });
  const receivedAt = Date.now();
  if (r.code !== 0) {
    const why = classifyConnectionError(conn.host.docker, r.stderr);
    // the fix names this host's own keys
    return { ...base, reachable: { ok: false, text: why.text, fix: why.fix.replaceAll('hosts.<h>.', `hosts.${conn.host.name}.`) }, ok: false };
  }
  let info: { ServerVersion?: string; DockerRootDir?: string; SystemTime?: string };
  try {
    info = JSON.parse(r.stdout.trim().split('\n').slice(-1)[0]);
  } catch {
    info = {};
  }
  const root = info.DockerRootDir ?? '/var/lib/docker';
  const reachable: Verdict = { ok: true, text: conn.host.docker.startsWith('ssh://') ? `ssh ok${conn.host.hostKey ? ' (pinned key)' : ''}` : 'reachable' };
  const engine = engineVerdict(info.ServerVersion);
  const clock = clockVerdict(info.SystemTime, sentAt, receivedAt);
  const disk = diskVerdict(root, await freeOnRoot(conn, root));
  const nfs = needsNfs ? nfsVerdict(await nfsProbe(conn)) : undefined;
  return { ...base, reachable, engine, disk, clock, ...(nfs ? { nfs } : {}), ok: engine.ok && disk.ok && clock.ok && nfs?.ok !== false };
}

/**
 * What stops a deploy: a host it cannot reach, whose engine is too old, or that cannot mount the
 * NFS volumes its services use (the apply would fail at the first such container). Low disk and clock skew
 * are printed as warnings and the deploy goes on (a rollback during an outage caused by a full disk
 * must still be possible); `stackyard hosts` fails on them.
 */
export function blocksDeploy(c: HostCheck): boolean {
  return !c.reachable.ok || c.engine?.ok === false || c.nfs?.ok === false;
}

export async function runHostChecks(stack: Environment): Promise<HostCheck[]> {
  const hosts = usedHosts(stack);
  const nfsHosts = new Set(stack.services.filter((s) => s.nfsMounts.length > 0).map((s) => s.host));
  return withHosts(hosts, (conns) => Promise.all(hosts.map((h) => checkHost(conns.get(h.name)!, nfsHosts.has(h.name)))));
}
