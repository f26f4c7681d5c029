/**
 * The docker CLI of the deploy itself (deploy lock and record, orphan reaping, the unhealthy
 * report, down's volumes, image pruning) reaching each host as the provider does: with the ssh
 * options of the stack's provider block (`ssh_opts`, the host's `sshOptions`). The docker CLI's
 * own ssh:// transport takes no options, so an ssh:// host is reached through the `ssh` wrapper of
 * the day-2 commands (lib/ops/docker.ts, HostConnection: BatchMode and those options), made once
 * per host and process and removed when the process exits.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { HostConnection } from '../ops/docker';
import { dockerHosts, type StackJson } from './stack-json';

const connections = new Map<string, HostConnection>();

function closeAll(): void {
  for (const c of connections.values()) c.close();
  connections.clear();
}

/** Learns how to reach the hosts of a stack (its provider blocks); a host already known keeps its connection. */
export function reachHosts(stack: StackJson, base: NodeJS.ProcessEnv = process.env): void {
  for (const h of dockerHosts(stack)) {
    if (connections.has(h.host)) continue;
    if (connections.size === 0) process.once('exit', closeAll);
    connections.set(h.host, new HostConnection({ name: h.alias, docker: h.host, sshOptions: h.sshOpts }, base));
  }
}

/** Forgets every host (removes the wrappers); the next reachHosts starts again. */
export function forgetHosts(): void {
  process.removeListener('exit', closeAll);
  closeAll();
}

/** The environment the docker CLI runs in for `host` (a host no stack named: DOCKER_HOST alone). */
export function dockerEnv(host: string): NodeJS.ProcessEnv {
  const known = connections.get(host);
  if (known) return known.env;
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: host };
  delete env.DOCKER_CONTEXT;
  return env;
}

/** docker ARGS on a host, synchronously, output as bytes (a tar from `docker cp` stays intact). */
export function dockerSync(host: string, args: readonly string[], input?: string | Buffer): SpawnSyncReturns<Buffer> {
  return spawnSync('docker', [...args], { env: dockerEnv(host), input, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
}
