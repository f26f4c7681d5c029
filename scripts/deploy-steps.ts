/**
 * The decisions of scripts/deploy.sh and scripts/down.sh, as one small entry over lib/deploy/
 * (where each decision is a tested function). The shell scripts only run the engine.
 *
 *   deploy-steps secrets <root> <stack_dir> <require|generate|placeholder>
 *       NUL-separated TF_VAR_<NAME>, value pairs on stdout for the shell to export (never printed)
 *   deploy-steps reap <stack_dir> [--adopt]          state JSON on stdin; removes orphans or refuses
 *   deploy-steps phases <stack_dir>                  state JSON on stdin; phase-1 apply arguments, one a line
 *   deploy-steps needs-migration <root> <stack_dir> [--migrate]   exit 0 when the state must be encrypted on this deploy
 *   deploy-steps down <stack_dir> [--volumes] [--github] [--yes]   asks or refuses before destroying
 *   deploy-steps volumes <stack_dir> [--volumes]     after down's destroy: deletes (--volumes) or names the labelled volumes left
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confirms, decideDown, keepGithubArgs } from '../lib/deploy/confirm';
import { isPlaintextState } from '../lib/deploy/encryption';
import { adoptionRequested, adoptVariable, decideReap, unreachableHost, type HostListing } from '../lib/deploy/orphans';
import { deployPlan } from '../lib/deploy/phases';
import { deployVersions, recordsVersions, SECRET_VERSIONS_VARIABLE, versionedSecrets } from '../lib/deploy/secret-versions';
import { appendSecrets, parseSecretsFile, resolveSecrets, type SecretsMode } from '../lib/deploy/secrets';
import { decideVolumes, type VolumeListing } from '../lib/deploy/volumes';
import { dockerCommand, dockerHosts, environmentOf, parseState, stateContainers, stateNetworks, type StackJson, type StackyardMeta } from '../lib/deploy/stack-json';

class Stop extends Error {}
const say = (line: string) => process.stderr.write(`stackyard: ${line}\n`);
const stop = (line: string): never => {
  throw new Stop(line);
};

function readStack(dir: string): { stack: StackJson; meta: StackyardMeta } {
  const file = path.join(dir, 'cdk.tf.json');
  if (!fs.existsSync(file)) stop(`no synthesized stack in ${dir}`);
  const stack = JSON.parse(fs.readFileSync(file, 'utf8')) as StackJson;
  const env = environmentOf(stack) ?? path.basename(dir);
  const meta = stack['//']?.stackyard ?? { environment: env, production: false, stateBackend: 'local', github: false };
  return { stack, meta };
}

function readStdin(): string {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function secrets(root: string, dir: string, mode: SecretsMode): number {
  const { stack, meta } = readStack(dir);
  const variables = Object.entries(stack.variable ?? {})
    .filter(([k, v]) => k !== SECRET_VERSIONS_VARIABLE && !(v && typeof v === 'object' && 'default' in v))
    .map(([k]) => k)
    .sort();
  const file = path.join(root, '.stackyard', 'secrets', `${meta.environment}.env`);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const stateFile = path.join(root, '.stackyard', 'state', `${meta.environment}.tfstate`);
  const localState = fs.existsSync(stateFile) ? fs.readFileSync(stateFile, 'utf8') : '';
  const r = resolveSecrets({
    environment: meta.environment,
    production: meta.production,
    github: meta.github,
    variables,
    passphraseVariable: meta.statePassphraseVariable,
    processEnv: process.env,
    file: parseSecretsFile(text),
    mode,
    // a remote state may exist already: its passphrase is shared, never made up here
    encryptedStateExists: meta.stateBackend !== 'local' || (localState.trim() !== '' && !isPlaintextState(localState)),
  });
  for (const m of r.messages) say(m);
  if (r.error) stop(r.error);
  if (r.generated.size) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, appendSecrets(text, r.generated), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  for (const [k, v] of r.exports) process.stdout.write(`${k}\0${v}\0`);
  if (recordsVersions(stack)) {
    // the version of each value deployed (a keyed hash, lib/deploy/secret-versions.ts), never the value
    const valueOf = (n: string) => process.env[`TF_VAR_${n}`] || r.exports.get(`TF_VAR_${n}`);
    const versions = deployVersions({
      environment: meta.environment,
      names: versionedSecrets(stack),
      valueOf,
      passphrase: meta.statePassphraseVariable ? valueOf(meta.statePassphraseVariable) : undefined,
      placeholder: mode === 'placeholder',
    });
    process.stdout.write(`TF_VAR_${SECRET_VERSIONS_VARIABLE}\0${JSON.stringify(versions)}\0`);
  }
  return 0;
}

/** The docker CLI on one host, as the provider reaches it (its ssh options included). */
const sshOptions = new Map<string, readonly string[]>();
function docker(host: string, args: string[]) {
  const c = dockerCommand({ host, sshOpts: sshOptions.get(host) ?? [] }, args);
  return spawnSync(c.command, c.args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
}

/** docker ARGS on a host, whose output is a list of ids; stops the deploy when the host does not answer. */
function listIds(alias: string, host: string, args: string[]): string[] {
  const r = docker(host, args);
  if (r.error || r.status !== 0) stop(unreachableHost(alias, host, r.error ? r.error.message : r.stderr));
  return r.stdout.split('\n').filter(Boolean);
}

function inspectAll<T>(alias: string, host: string, args: string[], ids: string[]): T[] {
  if (!ids.length) return [];
  const r = docker(host, [...args, ...ids]);
  if (r.error || r.status !== 0) stop(unreachableHost(alias, host, r.error ? r.error.message : r.stderr));
  return JSON.parse(r.stdout) as T[];
}

function listHost(env: string, alias: string, host: string): HostListing {
  const label = `label=stackyard.environment=${env}`;
  const containers = inspectAll<{ Name: string; Mounts?: { Type: string; Name?: string }[]; NetworkSettings?: { Networks?: Record<string, unknown> } }>(
    alias, host, ['inspect'], listIds(alias, host, ['ps', '-aq', '--no-trunc', '--filter', label]),
  );
  const networks = inspectAll<{ Name: string; Containers?: Record<string, { Name?: string }> }>(
    alias, host, ['network', 'inspect'], listIds(alias, host, ['network', 'ls', '-q', '--no-trunc', '--filter', label]),
  );
  return {
    alias,
    host,
    containers: containers
      .map((c) => ({
        name: c.Name.replace(/^\//, ''),
        volumes: (c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!).sort(),
        networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    networks: networks
      .map((n) => ({ name: n.Name, users: Object.values(n.Containers ?? {}).map((c) => c.Name ?? '').filter(Boolean).sort() }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Removes what a decision lists, saying each first; stops at the first Docker refusal. */
function removeAll(what: readonly string[], removals: readonly { alias: string; host: string; name: string; message: string }[]): void {
  for (const r of removals) {
    say(r.message);
    const rm = docker(r.host, [...what, r.name]);
    if (rm.error || rm.status !== 0) stop(`could not remove ${r.name} on ${r.alias}: ${(rm.stderr || String(rm.error)).trim()}`);
  }
}

function reap(dir: string, adoptFlag: boolean): number {
  const { stack, meta } = readStack(dir);
  const state = parseState(readStdin());
  const known = new Set(stateContainers(state).map((c) => c.name).filter((n): n is string => !!n));
  const knownNetworks = new Set(stateNetworks(state));
  for (const h of dockerHosts(stack)) sshOptions.set(h.host, h.sshOpts);
  const hosts = dockerHosts(stack).map((h) => listHost(meta.environment, h.alias, h.host));
  const d = decideReap({ environment: meta.environment, known, knownNetworks, hosts, adopt: adoptionRequested(meta.environment, adoptFlag, process.env[adoptVariable]) });
  if (d.kind === 'refuse') stop(d.message);
  else {
    // containers first: a network cannot be removed while one is attached
    removeAll(['rm', '-f'], d.removals);
    removeAll(['network', 'rm'], d.networks);
  }
  return 0;
}

function phases(dir: string): number {
  const { stack } = readStack(dir);
  const plan = deployPlan(stack, parseState(readStdin()));
  for (const n of plan.notes) say(n);
  for (const a of plan.phaseOneArgs) process.stdout.write(a + '\n');
  return 0;
}

function needsMigration(root: string, dir: string, asked: boolean): boolean {
  const { meta } = readStack(dir);
  if (!meta.statePassphraseVariable) {
    if (asked) say(`--migrate-state ignored: ${meta.environment} has state encryption turned off (state.encryption: false)`);
    return false;
  }
  if (asked) return true;
  if (meta.stateBackend !== 'local') return false;
  const file = path.join(root, '.stackyard', 'state', `${meta.environment}.tfstate`);
  return fs.existsSync(file) && isPlaintextState(fs.readFileSync(file, 'utf8'));
}

function readLine(): string {
  const buf = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(0, buf, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0 || buf[0] === 0x0a) return line;
    line += String.fromCharCode(buf[0]);
  }
}

function down(dir: string, flags: string[]): number {
  const { stack, meta } = readStack(dir);
  const d = decideDown({
    environment: meta.environment,
    production: meta.production,
    volumes: flags.includes('--volumes'),
    github: flags.includes('--github'),
    yes: flags.includes('--yes'),
    interactive: process.stdin.isTTY === true,
  });
  if (d.kind === 'refuse') stop(d.message);
  if (d.kind === 'ask') {
    process.stderr.write(d.prompt);
    if (!confirms(readLine(), meta.environment)) stop('not confirmed; nothing was destroyed');
  }
  for (const a of keepGithubArgs(stack, flags.includes('--github'))) process.stdout.write(a + '\n');
  return 0;
}

function volumes(dir: string, deleteData: boolean): number {
  const { stack, meta } = readStack(dir);
  const hosts: VolumeListing[] = dockerHosts(stack).map(({ alias, host }) => ({
    alias,
    host,
    volumes: listIds(alias, host, ['volume', 'ls', '-q', '--filter', `label=stackyard.environment=${meta.environment}`])
      .map((name) => ({ name, users: listIds(alias, host, ['ps', '-a', '--filter', `volume=${name}`, '--format', '{{.Names}}']) })),
  }));
  const d = decideVolumes(meta.environment, deleteData, hosts);
  if (d.kind === 'refuse') stop(d.message);
  else if (d.kind === 'keep') for (const m of d.messages) process.stdout.write(`${m}\n`);
  else removeAll(['volume', 'rm'], d.removals);
  return 0;
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'secrets':
      return secrets(rest[0], rest[1], (rest[2] || 'require') as SecretsMode);
    case 'reap':
      return reap(rest[0], rest.includes('--adopt'));
    case 'phases':
      return phases(rest[0]);
    case 'needs-migration':
      return needsMigration(rest[0], rest[1], rest.includes('--migrate')) ? 0 : 1;
    case 'down':
      return down(rest[0], rest.slice(1));
    case 'volumes':
      return volumes(rest[0], rest.includes('--volumes'));
    default:
      process.stderr.write('usage: deploy-steps secrets|reap|phases|needs-migration|down|volumes ...\n');
      return 2;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof Stop)) throw e;
  say(e.message);
  process.exitCode = 1;
}
