/**
 * Pull-request plans on the real engine: a stack deployed with real secrets, then planned the
 * way plan-comment.yml plans it (scripts/pr-plan.ts plan: the pull request's files as data, no
 * secret value, placeholders for every secret). An unchanged pull request plans as no change;
 * a changed tag shows its replacement; a secret rotated since the deploy shows as rotated through
 * its recorded version (lib/deploy/secret-versions.ts), with exactly its readers replaced; nothing
 * of the plan but the summary data is left behind.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretVersion, versionKey } from '../../lib/deploy/secret-versions';
import { readArtifact } from '../../lib/plan/artifact';
import { renderSummary } from '../../lib/plan/summary';
import { docker, ROOT, run, toolEnv } from './harness';

const ENV = 'prplan';
const DIR = path.join(ROOT, '.stackyard', 'prplan-environments');
const SECRETS = Object.fromEntries(['DB_PASSWORD', 'REDIS_PASSWORD', 'JWT_SECRET', 'STATE_PASSPHRASE'].map((n) => [n, `prplan-canary-${n.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`]));
const deployed = () => Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`TF_VAR_${k}`, v]));
/** The versions the deploy records, computed here independently of the deploy's code path. */
const versionsOf = (values: Record<string, string>) => {
  const key = versionKey(SECRETS.STATE_PASSPHRASE, ENV);
  return JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secretVersion(key, k, v)])));
};
const withSecrets = () => ({ ...env(), ...deployed() });
const file = (tag: string) => `name: ${ENV}
protectVolumes: false
hosts:
  core: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }
secrets: [DB_PASSWORD, REDIS_PASSWORD, JWT_SECRET]
services:
  db: { kind: postgres, version: "17", password: DB_PASSWORD }
  redis: { kind: redis, password: REDIS_PASSWORD }
  api:
    kind: service
    image: stackyard/demo-app
    tag: "${tag}"
    command: [python3, /app/app.py, worker]
    uses: [db, redis]
    secrets: [JWT_SECRET, { name: DB_PASSWORD, as: env }]
`;
const env = (extra: NodeJS.ProcessEnv = {}) => {
  const e = toolEnv({ ENVIRONMENTS_DIR: DIR, ...extra });
  for (const k of Object.keys(e)) if (k.startsWith('TF_VAR_')) delete e[k];
  return e;
};

/** Plans the files in `prFiles` as plan-comment.yml would; returns the summary and what was left on disk. */
function prPlan(prFile: string, recordedVersions?: string) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prplan-'));
  fs.mkdirSync(path.join(scratch, 'pr', 'files', 'environments'), { recursive: true });
  fs.writeFileSync(path.join(scratch, 'pr', 'files', 'environments', `${ENV}.yaml`), prFile);
  // the runner's view of the state backend (local state here; S3 with read-only credentials in CI)
  fs.mkdirSync(path.join(scratch, 'work', '.stackyard', 'state'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`), path.join(scratch, 'work', '.stackyard', 'state', `${ENV}.tfstate`));
  const out = path.join(scratch, 'summary.json');
  const r = run(process.execPath, ['dist/scripts/pr-plan.js', 'plan', ENV, '--pr', path.join(scratch, 'pr'), '--json', out, '--workdir', path.join(scratch, 'work')], { env: env({ STACKYARD_PLAN_STATE_PASSPHRASE: SECRETS.STATE_PASSPHRASE, ...(recordedVersions ? { STACKYARD_PLAN_SECRET_VERSIONS: recordedVersions } : {}) }) });
  const left = fs.readdirSync(path.join(scratch, 'work'));
  return { r, plans: r.status === 0 ? readArtifact(out) : [], text: fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '', left };
}

/** What an earlier run may have left (its passphrase is gone with it, so by label, not through the state). */
function removeLeftovers(): void {
  for (const kind of [['ps', '-aq'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']]) {
    for (const id of docker(...kind, '--filter', `label=stackyard.environment=${ENV}`).split('\n').filter(Boolean)) {
      docker(...(kind[0] === 'ps' ? ['rm', '-f'] : [kind[0], 'rm']), id);
    }
  }
  for (const f of ['', '.backup']) fs.rmSync(path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate${f}`), { force: true });
}

beforeAll(() => {
  for (const s of ['engine-docker.sh start', 'engine.sh', 'images.sh']) {
    const r = run('bash', ['-c', `bash scripts/${s}`], { env: toolEnv() });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, `${ENV}.yaml`), file('1'));
  removeLeftovers();
  const d = run('bash', ['scripts/deploy.sh', ENV], { env: withSecrets() });
  if (d.status !== 0) throw new Error(`deploy failed:\n${d.stdout}\n${d.stderr}`);
});

afterAll(() => {
  const down = run('bash', ['scripts/down.sh', ENV, '--volumes', '--yes'], { env: withSecrets() });
  if (down.status !== 0) console.error(down.stdout + down.stderr);
  removeLeftovers();
  fs.rmSync(DIR, { recursive: true, force: true });
});

describe('pull-request plan with placeholder secrets, against a deployed stack', () => {
  it('the deployed stack holds the real secrets', () => {
    expect(docker('inspect', `${ENV}-api-1`, '--format', '{{json .Config.Env}}')).toContain(SECRETS.DB_PASSWORD);
  });

  it('an unchanged pull request plans as no change (placeholders neither rotate nor replace)', () => {
    const { r, plans, text, left } = prPlan(file('1'));
    expect(r.status, r.stderr).toBe(0);
    // on failure: what the plan would change, attribute by attribute (secret values are masked in the summary)
    expect(plans.map((p) => [p.name, p.changes.map((c) => `${c.action} ${c.address}`)]), JSON.stringify(plans[0]?.changes, null, 1)).toEqual([[ENV, []]]);
    for (const v of Object.values(SECRETS)) expect(text + r.stdout + r.stderr).not.toContain(v);
    expect(left).toEqual(['.stackyard']); // the synth, the plan file and its JSON are gone
  });

  it('a changed tag shows its replacement, and nothing else', () => {
    const { r, plans, text } = prPlan(file('2'));
    expect(r.status, r.stderr).toBe(0);
    const changes = plans[0].changes;
    expect(changes.filter((c) => c.type === 'docker_container').map((c) => [c.action, c.address, c.dataLoss]), JSON.stringify(changes, null, 1)).toEqual([['replace', 'docker_container.svc_api_1', false]]);
    for (const v of Object.values(SECRETS)) expect(text + r.stdout + r.stderr).not.toContain(v);
  });

  const { STATE_PASSPHRASE: _pass, ...values } = SECRETS;

  it('the deploy recorded every secret\'s version in the state only: no container carries one', () => {
    const recorded = JSON.parse(versionsOf(values)) as Record<string, string>;
    const inspect = docker('inspect', `${ENV}-api-1`, `${ENV}-db-1`, `${ENV}-redis-1`);
    for (const v of Object.values(recorded)) expect(inspect).not.toContain(v);
    expect(inspect).not.toContain('secret_version');
  });

  it('with the recorded versions, an unchanged secret plans no change', () => {
    const { r, plans } = prPlan(file('1'), versionsOf(values));
    expect(r.status, r.stderr).toBe(0);
    expect(plans[0].changes).toEqual([]);
  });

  it('a secret rotated since the deploy shows as rotated, and replaces exactly the containers that read it', () => {
    const rotated = { ...values, JWT_SECRET: `${values.JWT_SECRET}-rotated` };
    const recorded = versionsOf(rotated);
    const { r, plans, text } = prPlan(file('1'), recorded);
    expect(r.status, r.stderr).toBe(0);
    const changes = plans[0].changes;
    expect(changes.map((c) => [c.action, c.address, c.attributes.map((a) => `${a.path}: ${a.after}`)])).toEqual([
      ['replace', 'docker_container.svc_api_1', ['secret JWT_SECRET: (rotated)']],
      ['update', 'terraform_data.secret_version_JWT_SECRET', ['version: (rotated)']],
    ]);
    const md = renderSummary(plans).markdown;
    expect(md).toContain('secrets rotated: `JWT_SECRET`');
    for (const v of [...Object.values(SECRETS), rotated.JWT_SECRET, ...Object.values(JSON.parse(recorded) as Record<string, string>)]) expect(text + md + r.stdout + r.stderr).not.toContain(v);
  });
});
