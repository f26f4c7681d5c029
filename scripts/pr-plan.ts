/**
 * The trusted half of pull-request plans (.github/workflows/plan-comment.yml). Runs the default
 * branch's code only; everything from the pull request is data:
 *
 *   find-pr   --out FILE                      the pull request of the workflow_run event (checked)
 *   extract   --commit SHA --out DIR          its environment files as git blobs into DIR/files (lib/github/pr-files.ts)
 *   decide    --pr DIR --out DIR              which environments the plan identity may plan
 *   ssh       ENV                             plan keys, pinned known_hosts, ssh_config (from the default branch's files)
 *   plan      ENV --pr DIR --json FILE [--workdir DIR]  synth the pull request's files, plan with placeholders, keep the summary only
 *   render    --trusted DIR --untrusted FILE --out FILE --meta FILE
 *
 * Outputs for $GITHUB_OUTPUT are printed as name=value lines of checked values only. Errors are
 * one line each (exit 1), never a stack trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../lib/app';
import { environmentFiles } from '../lib/environments';
import { ConfigError, formatProblem } from '../lib/config/errors';
import { loadEnvironment } from '../lib/config/load';
import type { EnvironmentConfig } from '../lib/config/schema';
import { decide, type PlanDecision } from '../lib/github/pr-plan';
import { extractEnvironments, gitReader } from '../lib/github/pr-files';
import { STATE_PASSPHRASE_VARIABLE } from '../lib/deploy/encryption';
import { PLAN_VERSIONS_SECRET, planVersions, SECRET_VERSIONS_VARIABLE, secretReaders, versionedSecrets } from '../lib/deploy/secret-versions';
import { knownHosts, planKeySecret, planSshConfig, type SshHost } from '../lib/github/plan-identity';
import { runInfo, selectPullRequest } from '../lib/github/pull-request';
import { readArtifact, toArtifact } from '../lib/plan/artifact';
import { prVerdict } from '../lib/plan/pr-verdict';
import { parsePlan, PLACEHOLDER_PREFIX, renderSummary, type StackPlan } from '../lib/plan/summary';
import { topologiesFrom } from '../lib/plan/topologies';
import { withoutCreationTraces } from '../lib/trace-capture';
import { formatWarning } from '../lib/validation';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const DATA_LOSS_EXIT = 3;

class UsageError extends Error {}

function flags(args: string[]): { positional: string[]; opt: (name: string) => string } {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      if (i + 1 >= args.length) throw new UsageError(`${args[i]} needs a value`);
      values.set(args[i], args[++i]);
    } else positional.push(args[i]);
  }
  return {
    positional,
    opt: (name) => {
      const v = values.get(name);
      if (v === undefined) throw new UsageError(`missing ${name}`);
      return v;
    },
  };
}

/** Where extract writes the pull request's blobs inside its --out folder (read by decide and plan). */
export const prFiles = (prRoot: string) => path.join(prRoot, 'files');

/** Environments by name from a folder; problems of files that do not load, by file. */
export function loadConfigs(dir: string): { configs: Map<string, EnvironmentConfig>; problems: string[] } {
  const configs = new Map<string, EnvironmentConfig>();
  const problems: string[] = [];
  if (!fs.existsSync(dir)) return { configs, problems };
  for (const file of environmentFiles(dir)) {
    try {
      const env = loadEnvironment(file);
      configs.set(env.config.name, env.config);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(`${path.basename(file)}: ${e.problems[0]?.message ?? 'does not load'}`);
    }
  }
  return { configs, problems };
}

/** The environments the workflow has plan jobs for: the default branch's, with `github.planEnvironment`. */
export function plannable(configs: Map<string, EnvironmentConfig>): string[] {
  return [...configs.values()].filter((c) => c.github?.planEnvironment && c.platform === 'docker').map((c) => c.name).sort();
}

async function findPr(args: string[]): Promise<void> {
  const { opt } = flags(args);
  const event = JSON.parse(fs.readFileSync(process.env.GITHUB_EVENT_PATH ?? '', 'utf8'));
  const info = runInfo(event, process.env.GITHUB_REPOSITORY ?? '');
  let candidates: unknown[] = [];
  if (!info.listed.some((p) => p.headSha === info.headSha)) {
    // forks: the event lists no pull request; ask for the open ones with this head
    const api = process.env.GITHUB_API_URL ?? 'https://api.github.com';
    const url = `${api}/repos/${info.repository}/pulls?state=open&per_page=100&head=${encodeURIComponent(`${info.headOwner}:${info.headBranch}`)}`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${process.env.GITHUB_TOKEN ?? ''}`, Accept: 'application/vnd.github+json' } });
    if (!res.ok) throw new Error(`GitHub answered ${res.status} listing pull requests`);
    const text = await res.text();
    if (text.length > 8 * 1024 * 1024) throw new Error('GitHub answered with too much data');
    candidates = JSON.parse(text);
  }
  const pr = selectPullRequest(info, candidates as never[]);
  fs.appendFileSync(opt('--out'), `number=${pr.number}\nhead_sha=${pr.headSha}\n`);
  process.stdout.write(`pull request #${pr.number} at ${pr.headSha}\n`);
}

function extract(args: string[]): void {
  const { opt } = flags(args);
  const commit = opt('--commit');
  const gitDir = execFileSync('git', ['rev-parse', '--absolute-git-dir'], { encoding: 'utf8' }).trim();
  const out = opt('--out');
  // the blobs go under files/, so none can take the place of refused.json or decisions/
  const result = extractEnvironments(gitReader(gitDir), commit, prFiles(out));
  fs.writeFileSync(path.join(out, 'refused.json'), JSON.stringify(result.refused) + '\n');
  process.stdout.write(`extracted ${result.written.length} file(s)${result.refused.length ? `; left out: ${result.refused.map((r) => r.reason).join('; ')}` : ''}\n`);
}

function decideCmd(args: string[]): void {
  const { opt } = flags(args);
  const prRoot = opt('--pr');
  const outDir = opt('--out');
  const base = loadConfigs('environments').configs;
  const refused = JSON.parse(fs.readFileSync(path.join(prRoot, 'refused.json'), 'utf8')) as { file: string; reason: string }[];
  const pr = loadConfigs(path.join(prFiles(prRoot), 'environments'));
  const decisions: PlanDecision[] = plannable(base).map((name) => {
    const fileProblem = refused.find((r) => path.posix.basename(r.file).replace(/\.ya?ml$/, '') === name)?.reason
      ?? pr.problems.find((p) => p.startsWith(`${name}.`));
    return decide(name, base.get(name), pr.configs.get(name), fileProblem);
  });
  const notes = [
    ...decisions.filter((d) => !d.plan).map((d) => `${d.name} is not planned with the plan identity: it ${d.reason}. Its structural diff below comes from the pull request's own code.`),
    ...refused.map((r) => `Left out of the plan: ${r.reason}.`),
  ];
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'decisions.json'), JSON.stringify(decisions) + '\n');
  fs.writeFileSync(path.join(outDir, 'notes.json'), JSON.stringify(notes) + '\n');
  const lines = decisions.map((d) => `${d.name}=${d.plan ? 'plan' : 'skip'}`);
  if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, lines.join('\n') + '\n');
  process.stdout.write(lines.join('\n') + '\n');
}

function sshHosts(name: string): SshHost[] {
  if (!NAME.test(name)) throw new UsageError(`bad environment name ${JSON.stringify(name)}`);
  const config = loadConfigs('environments').configs.get(name);
  if (!config) throw new UsageError(`environment ${name} is not in environments/ of the default branch`);
  return Object.entries(config.hosts).filter(([, h]) => h.docker.startsWith('ssh://')).map(([n, h]) => ({ name: n, docker: h.docker, hostKey: h.hostKey }));
}

function ssh(args: string[]): void {
  const [env] = flags(args).positional;
  const hosts = sshHosts(env);
  if (!hosts.length) return void process.stdout.write(`${env}: no ssh:// host\n`);
  const dir = path.join(os.homedir(), '.ssh');
  fs.mkdirSync(path.join(dir, 'stackyard-plan'), { recursive: true, mode: 0o700 });
  const keyFile = (h: string) => path.join(dir, 'stackyard-plan', h);
  for (const h of hosts) {
    const secret = planKeySecret(h.name);
    const key = process.env[secret];
    if (!key) throw new UsageError(`secret ${secret} is not set in the ${env}-plan environment: the plan identity's SSH key for host ${h.name} (see npm run plan-identity)`);
    fs.writeFileSync(keyFile(h.name), key.endsWith('\n') ? key : `${key}\n`, { mode: 0o600 });
  }
  const known = path.join(dir, 'stackyard-plan', 'known_hosts');
  fs.writeFileSync(known, knownHosts(hosts), { mode: 0o644 });
  fs.appendFileSync(path.join(dir, 'config'), planSshConfig(hosts, keyFile, known), { mode: 0o600 });
  process.stdout.write(`${env}: plan keys and pinned host keys for ${hosts.map((h) => h.name).join(', ')}\n`);
}

/**
 * TF_VAR_<NAME> for every sensitive variable of a synthesized stack: a placeholder for each
 * secret, the real state passphrase (from STACKYARD_PLAN_STATE_PASSPHRASE) for the encrypted
 * state, which the plan must read, and the recorded secret versions (STACKYARD_PLAN_SECRET_VERSIONS,
 * the <env>-plan secret the deploy writes), so a rotated secret shows while no value is here.
 * README "Security model" says what the passphrase opens and what a version reveals.
 */
export function placeholderEnv(stackJson: { variable?: Record<string, { sensitive?: boolean }>; resource?: Record<string, unknown> }, statePassphrase?: string, recordedVersions?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(stackJson.variable ?? {})) {
    if (!v.sensitive) continue;
    if (k === SECRET_VERSIONS_VARIABLE) {
      try {
        out[`TF_VAR_${k}`] = JSON.stringify(planVersions(versionedSecrets(stackJson), recordedVersions));
      } catch (e) {
        throw new UsageError(`${(e as Error).message} (the ${PLAN_VERSIONS_SECRET} secret of the <env>-plan environment)`);
      }
    } else if (k === STATE_PASSPHRASE_VARIABLE) {
      if (!statePassphrase) throw new UsageError(`the state of this environment is encrypted: give its passphrase as STACKYARD_PLAN_STATE_PASSPHRASE (the <env>-plan environment's STATE_PASSPHRASE secret)`);
      out[`TF_VAR_${k}`] = statePassphrase;
    } else out[`TF_VAR_${k}`] = `${PLACEHOLDER_PREFIX}${k}`;
  }
  return out;
}

function plan(args: string[]): void {
  const { positional, opt } = flags(args);
  const env = positional[0];
  if (!env || !NAME.test(env)) throw new UsageError('give the environment name');
  const jsonOut = opt('--json');
  // --workdir (tests): a folder whose .stackyard/state holds a local state; its cdktf.out is removed after
  const given = args.includes('--workdir') ? opt('--workdir') : undefined;
  const work = given ? path.join(given, 'cdktf.out') : fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-plan-'));
  try {
    const outdir = given ? work : path.join(work, 'cdktf.out');
    withoutCreationTraces(() => {
      const { app, warnings } = buildApp(environmentFiles(path.join(prFiles(opt('--pr')), 'environments')), outdir, [env]);
      // positioned, never the value (lib/config/secret-values.ts), so safe in the public job log
      for (const w of warnings) process.stderr.write(`${formatWarning(w)}\n`);
      app.synth();
    });
    const stackDir = path.join(outdir, 'stacks', env);
    const stackJson = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    // no secret value on this runner: every secret is a placeholder, compared as unchanged
    const childEnv: NodeJS.ProcessEnv = { ...filteredEnv(process.env), ...placeholderEnv(stackJson, process.env.STACKYARD_PLAN_STATE_PASSPHRASE, process.env.STACKYARD_PLAN_SECRET_VERSIONS), TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    // tofu's text holds the state's values (the job log is public): captured and dropped; a
    // failure prints only the tail of its errors, every secret value of this run masked
    const secrets = secretValues(childEnv);
    const tofu = (a: string[]) => {
      const r = spawnSync('tofu', a, { cwd: stackDir, env: childEnv, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0) throw new Error(`tofu ${a[0]} failed (exit ${r.status}); the end of its errors:\n${errorTail(r.stderr || r.stdout || '', secrets)}`);
      return r.stdout;
    };
    tofu(['init', '-input=false', '-no-color']);
    tofu(['plan', '-input=false', '-no-color', '-lock=false', '-out=plan.bin']);
    const shown = tofu(['show', '-json', 'plan.bin']);
    const summary: StackPlan = parsePlan(env, shown, `${env} plan`, { placeholders: true, secretReaders: secretReaders(stackJson) });
    fs.writeFileSync(jsonOut, toArtifact([summary]));
    process.stdout.write(renderSummary([summary]).markdown.split('\n').filter((l) => l.startsWith('- **')).join('\n') + '\n');
  } finally {
    // the plan file and its JSON hold the state's values: they never leave this process's folder
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The values of a tofu run that must never be printed: sensitive variables (not placeholders) and credentials. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const credential = /^(TF_VAR_.+|GITHUB_TOKEN|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|PG_CONN_STR)$/;
  return Object.entries(env).filter(([k, v]) => credential.test(k) && v && v.length >= 4 && !v.startsWith(PLACEHOLDER_PREFIX)).map(([, v]) => v!);
}

/** The last lines of a tool's errors with every secret value replaced by ***. */
export function errorTail(text: string, secrets: readonly string[], lines = 20): string {
  let masked = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) masked = masked.split(s).join('***');
  return masked.trimEnd().split('\n').slice(-lines).map((l) => l.slice(0, 500)).join('\n');
}

/** The environment for tofu: no GitHub Actions internals beyond what the providers need. */
function filteredEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('TF_VAR_') && !k.startsWith('ACTIONS_') && k !== 'STACKYARD_PLAN_STATE_PASSPHRASE' && k !== 'STACKYARD_PLAN_SECRET_VERSIONS'));
}

function render(args: string[]): number {
  const { opt } = flags(args);
  const trusted = opt('--trusted');
  const decisions = JSON.parse(fs.readFileSync(path.join(trusted, 'pr-environments', 'decisions', 'decisions.json'), 'utf8')) as PlanDecision[];
  const notes = JSON.parse(fs.readFileSync(path.join(trusted, 'pr-environments', 'decisions', 'notes.json'), 'utf8')) as string[];
  // a decision whose name is not an environment name cannot have a plan job: never planned
  const checked = decisions.map((d) => (NAME.test(String(d.name)) ? d : { name: 'invalid', plan: false }));
  const trustedPlans = new Map<string, StackPlan[] | undefined>();
  for (const d of checked.filter((x) => x.plan)) {
    try {
      trustedPlans.set(d.name, readArtifact(path.join(trusted, `plan-${d.name}`, `plan-${d.name}.json`)).map((p) => ({ ...p, note: "planned by the base branch's code with the read-only plan identity" })));
    } catch {
      trustedPlans.set(d.name, undefined);
      notes.push(`${d.name}: the plan with the plan identity failed; read the plan-${d.name} job's log.`);
    }
  }
  const plans: StackPlan[] = [...trustedPlans.values()].flatMap((p) => p ?? []);
  try {
    plans.push(...readArtifact(opt('--untrusted')).map((p) => ({ ...p, note: "structural diff computed by the pull request's own code" })));
  } catch (e) {
    notes.push(`The pull request's structural diff could not be read: ${e instanceof ConfigError ? e.problems[0].message : 'malformed'}.`);
  }
  // the status and the label rest on the trusted plans only (lib/plan/pr-verdict.ts)
  const verdict = prVerdict(checked, trustedPlans);
  if (verdict.unverified) notes.push('Not every environment was planned by trusted code: a maintainer must plan it before merging (the `stackyard/data-loss` status fails until then, or until the `allow-data-loss` label is added).');
  if (!plans.length) plans.push({ name: 'pull-request', changes: [], note: 'nothing could be planned' });
  // the picture of the touched services: the pull request's environment files (extracted as data)
  const diagrams = topologiesFrom(path.join(trusted, 'pr-environments', 'environments'), plans.filter((p) => NAME.test(p.name)).map((p) => p.name));
  const s = renderSummary(plans, undefined, { notes, diagrams });
  fs.writeFileSync(opt('--out'), s.markdown);
  fs.writeFileSync(opt('--meta'), JSON.stringify({ dataLoss: verdict.dataLoss, destroy: verdict.destroy, changes: verdict.changes, truncated: s.truncated, unverified: verdict.unverified }) + '\n');
  return verdict.dataLoss ? DATA_LOSS_EXIT : 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'find-pr': await findPr(args); return 0;
    case 'extract': extract(args); return 0;
    case 'decide': decideCmd(args); return 0;
    case 'ssh': ssh(args); return 0;
    case 'plan': plan(args); return 0;
    case 'render': return render(args);
    default: throw new UsageError(`unknown command ${JSON.stringify(cmd)}; expected find-pr, extract, decide, ssh, plan or render`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code), (e) => {
    if (e instanceof ConfigError) for (const p of e.problems) process.stderr.write(`${p.line ? formatProblem(p) : `${p.file}: ${p.message}`}\n`);
    else process.stderr.write(`pr-plan: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
