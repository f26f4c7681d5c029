/**
 * The deploy's steps that read or touch the world (the stack folder, the secrets file, the Docker
 * hosts), each around a tested decision of lib/deploy/: used in-process by `stackyard deploy` and
 * `stackyard down` (lib/deploy/run.ts), and by scripts/deploy-steps.ts for the shell helpers.
 * Refusals throw DeployStop (printed as `stackyard: <message>`, exit 1).
 */
import { unhealthyReport, type InspectedContainer } from './health-report';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confirms, decideDown, keepGithubArgs } from './confirm';
import { encryptedStateMayExist, isPlaintextState, STATE_PASSPHRASE_VARIABLE } from './encryption';
import { keptByReaper, adoptionRequested, adoptVariable, decideReap, unreachableHost, type HostListing } from './orphans';
import { deployPlan } from './phases';
import { deployVersions, recordsVersions, SECRET_VERSIONS_VARIABLE, versionedSecrets, type PreparedKey } from './secret-versions';
import { appendSecrets, parseSecretsFile, resolveSecrets, type SecretsMode } from './secrets';
import { decideVolumes, type VolumeListing } from './volumes';
import { dockerSync, reachHosts } from './host-docker';
import { dockerHosts, environmentOf, parseState, stateContainers, stateNetworks, type StackJson, type StackyardMeta } from './stack-json';

export class DeployStop extends Error {
  readonly exitCode: number = 1;
}
export const say = (line: string) => process.stderr.write(`stackyard: ${line}\n`);
export const stop = (line: string): never => {
  throw new DeployStop(line);
};

export function readStack(dir: string): { stack: StackJson; meta: StackyardMeta } {
  const file = path.join(dir, 'cdk.tf.json');
  if (!fs.existsSync(file)) stop(`no synthesized stack in ${dir}`);
  const stack = JSON.parse(fs.readFileSync(file, 'utf8')) as StackJson;
  const env = environmentOf(stack) ?? path.basename(dir);
  const meta = stack['//']?.stackyard ?? { environment: env, production: false, stateBackend: 'local', github: false };
  // every docker command for these hosts goes the provider's way (its ssh options)
  reachHosts(stack);
  return { stack, meta };
}

/** An environment's secrets file: TF_VAR_<NAME>=<value> lines, mode 600, never committed. */
const secretsFileOf = (root: string, environment: string) => path.join(root, '.stackyard', 'secrets', `${environment}.env`);
/** An environment's local state (the `local` backend). */
const stateFileOf = (root: string, environment: string) => path.join(root, '.stackyard', 'state', `${environment}.tfstate`);

/** Every declared secret's value (TF_VAR_<NAME> → value), from the process or the secrets file; never printed. */
export function deploySecrets(root: string, dir: string, mode: SecretsMode, prepared?: PreparedKey): Map<string, string> {
  const { stack, meta } = readStack(dir);
  const variables = Object.entries(stack.variable ?? {})
    .filter(([k, v]) => k !== SECRET_VERSIONS_VARIABLE && !(v && typeof v === 'object' && 'default' in v))
    .map(([k]) => k)
    .sort();
  const file = secretsFileOf(root, meta.environment);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const stateFile = stateFileOf(root, meta.environment);
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
    encryptedStateExists: encryptedStateMayExist(meta.stateBackend, localState),
  });
  for (const m of r.messages) say(m);
  if (r.error) stop(r.error);
  if (r.generated.size) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.closeSync(fs.openSync(file, 'a')); // there, still without a new value
    fs.chmodSync(file, 0o600); // private (an older file too) before any value goes in
    fs.writeFileSync(file, appendSecrets(text, r.generated));
  }
  const out = new Map(r.exports);
  if (recordsVersions(stack)) {
    // the version of each value deployed (a keyed hash, lib/deploy/secret-versions.ts), never the value
    const valueOf = (n: string) => process.env[`TF_VAR_${n}`] || r.exports.get(`TF_VAR_${n}`);
    const versions = deployVersions({
      environment: meta.environment,
      names: versionedSecrets(stack),
      valueOf,
      passphrase: meta.statePassphraseVariable ? valueOf(meta.statePassphraseVariable) : undefined,
      placeholder: mode === 'placeholder',
      prepared,
    });
    out.set(`TF_VAR_${SECRET_VERSIONS_VARIABLE}`, JSON.stringify(versions));
  }
  return out;
}

/**
 * The state passphrase a deploy of `environment` will use when it is given already (process
 * environment first, then the secrets file, as `resolveSecrets` reads them); undefined when it
 * is missing or will be generated.
 */
export function givenPassphrase(root: string, environment: string): string | undefined {
  const v = `TF_VAR_${STATE_PASSPHRASE_VARIABLE}`;
  if (process.env[v]) return process.env[v];
  const file = secretsFileOf(root, environment);
  try {
    return parseSecretsFile(fs.readFileSync(file, 'utf8')).get(v) || undefined;
  } catch {
    return undefined;
  }
}

export function docker(host: string, args: string[], input?: string | Buffer) {
  const r = dockerSync(host, args, input);
  return { error: r.error, status: r.status, stdout: r.stdout?.toString('utf8') ?? '', stderr: r.stderr?.toString('utf8') ?? '' };
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
  const containers = inspectAll<{ Name: string; Config?: { Labels?: Record<string, string> | null }; Mounts?: { Type: string; Name?: string }[]; NetworkSettings?: { Networks?: Record<string, unknown> } }>(
    alias, host, ['inspect'], listIds(alias, host, ['ps', '-aq', '--no-trunc', '--filter', label]),
  ).filter((c) => !keptByReaper(c.Config?.Labels ?? {}));
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

/** After down's destroy: deletes (--volumes) or names the labelled volumes left (lib/deploy/volumes.ts). */
/** After a failed apply: which replicas never became healthy, each with the last lines of its health output. */
export function unhealthy(dir: string): void {
  const { stack, meta } = readStack(dir);
  for (const h of dockerHosts(stack)) {
    try {
      const ids = listIds(h.alias, h.host, ['ps', '-aq', '--no-trunc', '--filter', `label=stackyard.environment=${meta.environment}`]);
      for (const paragraph of unhealthyReport(inspectAll<InspectedContainer>(h.alias, h.host, ['inspect'], ids))) say(paragraph);
    } catch {
      // the report is a courtesy after a failure that is already reported: never mask it
    }
  }
}

export function volumes(dir: string, deleteData: boolean): void {
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
}

/** The containers and networks of the environment on each of its hosts (what the reaper looks at). */
export function hostListings(dir: string): HostListing[] {
  const { stack, meta } = readStack(dir);
  return dockerHosts(stack).map((h) => listHost(meta.environment, h.alias, h.host));
}

/** Removes the containers and networks of the environment its state lacks, or refuses (lib/deploy/orphans.ts). */
export function reap(dir: string, stateText: string, adoptFlag: boolean, listed?: readonly HostListing[]): void {
  const { meta } = readStack(dir);
  const state = parseState(stateText);
  const known = new Set(stateContainers(state).map((c) => c.name).filter((n): n is string => !!n));
  const knownNetworks = new Set(stateNetworks(state));
  const hosts = listed ?? hostListings(dir);
  const d = decideReap({ environment: meta.environment, known, knownNetworks, hosts, adopt: adoptionRequested(meta.environment, adoptFlag, process.env[adoptVariable]) });
  if (d.kind === 'refuse') stop(d.message);
  else {
    // containers first: a network cannot be removed while one is attached
    removeAll(['rm', '-f'], d.removals);
    removeAll(['network', 'rm'], d.networks);
  }
}

/** The phase-1 apply arguments (lib/deploy/phases.ts), its notes said on the way. */
export function phaseOneArgs(dir: string, stateText: string): string[] {
  const { stack } = readStack(dir);
  const plan = deployPlan(stack, parseState(stateText));
  for (const n of plan.notes) say(n);
  return [...plan.phaseOneArgs];
}

/** Whether this deploy must encrypt a state written in clear (lib/deploy/encryption.ts). */
export function needsMigration(root: string, dir: string, asked: boolean): boolean {
  const { meta } = readStack(dir);
  if (!meta.statePassphraseVariable) {
    if (asked) say(`--migrate-state ignored: ${meta.environment} has state encryption turned off (state.encryption: false)`);
    return false;
  }
  if (asked) return true;
  if (meta.stateBackend !== 'local') return false;
  const file = stateFileOf(root, meta.environment);
  return fs.existsSync(file) && isPlaintextState(fs.readFileSync(file, 'utf8'));
}

/** One line from standard input (a terminal), read synchronously. */
export function readLine(): string {
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

/** Asks or refuses before a destroy (lib/deploy/confirm.ts); the -exclude arguments that keep GitHub. */
export function confirmDown(dir: string, flags: readonly string[]): string[] {
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
  return keepGithubArgs(stack, flags.includes('--github'));
}
