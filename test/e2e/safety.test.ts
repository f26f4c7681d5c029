/**
 * State and deploy safety on the real engine (OpenTofu + Docker), with a small environment of
 * its own (`e2esafe`: Postgres, a one-shot job, a service after it). Tests run in order; each
 * builds on the state the previous one left.
 */
import { execSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_KEY_ITERATIONS } from '../../lib/deploy/encryption';
import { flockHeld } from './shared';
import { docker, ROOT, runAsync, SECRETS, toolEnv, withSecretVersions, type Watch } from './harness';

const ENV = 'e2esafe';
const DIR = path.join(ROOT, '.stackyard', `${ENV}-environments`);
const STACK = path.join(ROOT, 'cdktf.out', 'stacks', ENV);
const STATE = path.join(ROOT, '.stackyard', 'state', `${ENV}.tfstate`);
const LOCK = path.join(ROOT, '.stackyard', 'locks', `${ENV}.lock`);
const canaries = Object.values(SECRETS);
const env = (extra: NodeJS.ProcessEnv = {}) => toolEnv({ ENVIRONMENTS_DIR: DIR, ...extra });
const sh = (cmd: string) => execSync(cmd, { cwd: ROOT, stdio: 'inherit', env: env() });

function write(o: { encryption?: boolean; prestartSeconds?: string } = {}): void {
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, `${ENV}.yaml`), [
    `name: ${ENV}`,
    o.encryption === false ? 'state: { backend: local, encryption: false }' : '',
    'hosts:',
    '  local: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }',
    'secrets: [DB_PASSWORD, JWT_SECRET]',
    'services:',
    '  db: { kind: postgres, version: "17", password: DB_PASSWORD, database: app }',
    `  prestart: { kind: job, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, prestart], uses: [db], env: { PRESTART_SECONDS: "${o.prestartSeconds ?? '0'}" } }`,
    '  api: { kind: service, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, worker], uses: [db], after: [prestart], secrets: [JWT_SECRET] }',
    '',
  ].filter((l) => l !== '').join('\n') + '\n');
}

const deploy = (args: string[] = [], watch: Watch = {}) => runAsync('bash', ['scripts/deploy.sh', ENV, ...args], env(), watch);
const ids = () => Object.fromEntries(
  docker('ps', '-a', '--filter', `label=stackyard.environment=${ENV}`, '--format', '{{.Names}} {{.ID}}').split('\n').filter(Boolean).map((l) => l.split(' ')),
);
const psql = (sql: string) => docker('exec', `${ENV}-db-1`, 'psql', '-U', 'app', '-d', 'app', '-Atc', sql);
const noTty = (...args: string[]) => spawnSync('bash', args, { cwd: ROOT, env: env(), input: '', encoding: 'utf8' });
const tofu = (...args: string[]) => spawnSync('tofu', args, { cwd: STACK, env: withSecretVersions(STACK, env()), encoding: 'utf8' });

function clean(): void {
  noTty('scripts/down.sh', ENV, '--volumes', '--yes');
  for (const id of docker('ps', '-aq', '--filter', `label=stackyard.environment=${ENV}`).split('\n').filter(Boolean)) docker('rm', '-f', id);
  for (const v of docker('volume', 'ls', '-q', '--filter', `name=${ENV}-`).split('\n').filter(Boolean)) docker('volume', 'rm', '-f', v);
  for (const f of [STATE, `${STATE}.backup`, `${STATE}.moved`]) fs.rmSync(f, { force: true });
}

beforeAll(() => {
  sh('bash scripts/engine-docker.sh start');
  sh('bash scripts/engine.sh');
  sh('bash scripts/images.sh');
  write();
  clean();
});

afterAll(() => {
  if (process.env.STACKYARD_E2E_KEEP !== '1') clean();
});

describe('state and deploy safety on a real engine', () => {
  it('an unencrypted state holds the secret values in clear (what the encryption is for)', async () => {
    write({ encryption: false });
    const r = await deploy();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    const state = fs.readFileSync(STATE, 'utf8');
    expect(state).toContain(SECRETS.DB_PASSWORD);
    expect(state).not.toContain('encrypted_data');
  });

  it('the next deploy migrates it: afterwards neither the state, its backup nor a saved plan contains a secret value', async () => {
    write();
    const r = await deploy();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toContain(`the state of ${ENV} is not encrypted yet; this deploy encrypts it`);
    for (const file of [STATE, `${STATE}.backup`]) {
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      expect(JSON.parse(text), file).toHaveProperty('encrypted_data');
      for (const c of canaries) expect(text.includes(c), `${file} contains a secret value`).toBe(false);
    }
    // the synthesized stack of this deploy has no fallback any more, and the engine reads the state with the passphrase
    expect(JSON.parse(fs.readFileSync(path.join(STACK, 'cdk.tf.json'), 'utf8')).terraform.encryption.state.fallback).toBeUndefined();
    const p = tofu('plan', '-detailed-exitcode', '-input=false', '-no-color', '-out=safety.plan');
    expect(p.status, p.stdout + p.stderr).toBe(0);
    const plan = fs.readFileSync(path.join(STACK, 'safety.plan'));
    expect(plan.subarray(0, 2).toString()).not.toBe('PK'); // a clear plan is a zip archive
    for (const c of canaries) expect(plan.includes(c)).toBe(false);
    // a wrong passphrase cannot read it
    const wrong = spawnSync('tofu', ['state', 'pull'], { cwd: STACK, env: env({ TF_VAR_STATE_PASSPHRASE: 'not-the-passphrase-at-all' }), encoding: 'utf8' });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).not.toContain(SECRETS.DB_PASSWORD);
  });

  it('a state written at OpenTofu\'s default 600,000 key iterations is read, and the next deploy rewrites it at 210,000', async () => {
    const keyParams = () => JSON.parse(Buffer.from(JSON.parse(fs.readFileSync(STATE, 'utf8')).meta['key_provider.pbkdf2.stackyard'], 'base64').toString('utf8'));
    expect(keyParams()).toMatchObject({ iterations: STATE_KEY_ITERATIONS, hash_function: 'sha512' });
    // what a stackyard before the change wrote: the same stack with OpenTofu's default iterations
    const file = path.join(STACK, 'cdk.tf.json');
    const stack = JSON.parse(fs.readFileSync(file, 'utf8'));
    stack.terraform.encryption.key_provider.pbkdf2.stackyard.iterations = 600_000;
    fs.writeFileSync(file, JSON.stringify(stack));
    const old = tofu('apply', '-refresh-only', '-auto-approve', '-input=false', '-no-color');
    expect(old.status, old.stdout + old.stderr).toBe(0);
    expect(keyParams().iterations).toBe(600_000);
    const r = await deploy();
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(r.output).toContain('no changes');
    expect(keyParams()).toMatchObject({ iterations: STATE_KEY_ITERATIONS, hash_function: 'sha512' });
  });

  it('a job that failed in one deploy is replaced by the next one, which says so (no manual -replace)', async () => {
    // the job fails through the database, so the fixed deploy has exactly the same configuration
    psql(`create or replace function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$;
          create trigger refuse_prestart before insert on events for each row when (new.kind = 'prestart-begin') execute function refuse()`);
    write({ prestartSeconds: '1' });
    const failed = await deploy();
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`one-shot job "prestart" of environment "${ENV}" failed`);
    // what blocked every later deploy: the postcondition fails a plan that changes nothing
    const blocked = tofu('plan', '-input=false', '-no-color');
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('one-shot job "prestart"');

    psql('drop trigger refuse_prestart on events');
    const fixed = await deploy();
    expect(fixed.code, fixed.output.slice(-3000)).toBe(0);
    // a job's container carries its revision (<env>-<job>-1-<hash of its configuration>)
    expect(fixed.output).toMatch(new RegExp(`one-shot job container ${ENV}-prestart-1-[0-9a-f]{8} exited 1 in an earlier deploy; replacing it \\(-replace=docker_container.svc_prestart_1\\)`));
    expect(psql("select count(*) from events where kind = 'prestart-done'")).not.toBe('0');
    expect(tofu('plan', '-detailed-exitcode', '-input=false', '-no-color').status).toBe(0);
  });

  it('a second deploy while one runs fails at once with a clear message; the first one finishes', async () => {
    const first = deploy();
    const t0 = Date.now();
    // until the first deploy holds the machine's lock (its node start can take long on a loaded machine)
    // (looked up without taking it: a probe that took the lock made the first deploy fail as busy now and then)
    while (!flockHeld(LOCK) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    expect(flockHeld(LOCK), 'the first deploy never took the lock').toBe(true);
    const started = Date.now();
    const second = await deploy();
    expect(second.code).toBe(75); // EXIT.locked
    expect(second.output).toContain(`another deploy or down of ${ENV} is running on this machine`);
    expect(Date.now() - started).toBeLessThan(5000);
    const r = await first;
    expect(r.code, r.output.slice(-3000)).toBe(0);
  });

  it('with a state that knows nothing, the deploy refuses and removes nothing; --adopt-orphans adopts, data kept', async () => {
    psql("create table if not exists survivors (note text); insert into survivors values ('before the state was lost')");
    const before = ids();
    expect(Object.keys(before).sort().map((n) => n.replace(/-[0-9a-f]{8}$/, ''))).toEqual([`${ENV}-api-1`, `${ENV}-db-1`, `${ENV}-prestart-1`]);
    fs.renameSync(STATE, `${STATE}.moved`); // a fresh clone: no local state
    fs.rmSync(`${STATE}.backup`, { force: true });
    const refused = await deploy();
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(`the state of ${ENV} knows none of the 3 container(s) labelled stackyard.environment=${ENV}`);
    expect(refused.output).toContain(`${ENV}-db-1 (data volumes: ${ENV}-db-data)`);
    expect(refused.output).toContain('--adopt-orphans');
    expect(ids()).toEqual(before);

    const adopted = await deploy(['--adopt-orphans']);
    expect(adopted.code, adopted.output.slice(-3000)).toBe(0);
    expect(adopted.output).toContain(`removing container ${ENV}-db-1 on local (not in the state); its data volumes stay: ${ENV}-db-data`);
    expect(psql('select note from survivors')).toBe('before the state was lost');
    expect(tofu('plan', '-detailed-exitcode', '-input=false', '-no-color').status).toBe(0);
  });

  it('down --volumes without a terminal refuses and touches nothing; a plain down keeps the volume and names it; down --volumes --yes after it deletes it', () => {
    const refused = noTty('scripts/down.sh', ENV, '--volumes');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`refusing to destroy every data volume of ${ENV}`);
    expect(Object.keys(ids())).toHaveLength(3);

    const down = noTty('scripts/down.sh', ENV);
    expect(down.status, down.stdout + down.stderr).toBe(0);
    expect(ids()).toEqual({});
    expect(down.stdout).toContain(`keeping volume ${ENV}-db-data on local (out of the state; the next deploy reuses it)`);
    expect(down.stdout).toContain(`npm run down -- ${ENV} --volumes deletes it`);
    expect(docker('volume', 'ls', '-q', '--filter', `label=stackyard.environment=${ENV}`)).toBe(`${ENV}-db-data`);

    // the state no longer knows the volume: like docker compose down -v, it is deleted by its label
    const gone = noTty('scripts/down.sh', ENV, '--volumes', '--yes');
    expect(gone.status, gone.stdout + gone.stderr).toBe(0);
    expect(gone.stderr).toContain(`deleting volume ${ENV}-db-data on local`);
    expect(docker('volume', 'ls', '-q', '--filter', `label=stackyard.environment=${ENV}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `name=${ENV}-`)).toBe('');
  });
});
