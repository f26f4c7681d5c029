/**
 * The deploy's decisions (lib/deploy/*.ts) and the guard rails of scripts/deploy.sh and
 * scripts/down.sh that act before any engine runs: the environment lock, the confirmation of
 * destructive downs, the secrets file. The engine-side behaviour is in test/e2e/safety.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { confirms, decideDown, keepGithubArgs } from '../lib/deploy/confirm';
import { encryptedStateMayExist, encryptionBlock, isPlaintextState, migrationRequested } from '../lib/deploy/encryption';
import { adoptionRequested, decideReap, unreachableHost, type HostListing } from '../lib/deploy/orphans';
import { deployPlan, failedJobs, jobKeys, phaseOneKeys } from '../lib/deploy/phases';
import { appendSecrets, parseSecretsFile, resolveSecrets, type SecretsInput } from '../lib/deploy/secrets';
import { decideVolumes, type VolumeListing } from '../lib/deploy/volumes';
import { flockHeld } from './flock-held';
import { errors, MINIMAL, synth, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const localYaml = fs.readFileSync(path.join(ROOT, 'environments', 'local.yaml'), 'utf8');
const baseYaml = fs.readFileSync(path.join(ROOT, 'environments', 'base.yaml'), 'utf8');
const local = () => synth({ 'local.yaml': localYaml, 'base.yaml': baseYaml }, ['local.yaml']).local;
fs.mkdirSync(path.join(ROOT, '.stackyard', 'test-out'), { recursive: true });

/** A state as `tofu state pull` prints it, with the given containers (address key → attributes). */
function stateOf(containers: Record<string, { name: string; exit_code?: number | null; status?: string }>) {
  return {
    resources: Object.entries(containers).map(([key, a]) => ({
      mode: 'managed', type: 'docker_container', name: key,
      instances: [{ ...(a.status ? { status: a.status } : {}), attributes: { name: a.name, exit_code: a.exit_code ?? null } }],
    })),
  };
}

describe('what a deploy applies first', () => {
  it('phase 1 is the jobs and what does not wait for one; the services after the job and the start-first ones come later', () => {
    const s = local();
    expect(jobKeys(s)).toEqual(['svc_prestart_1']);
    expect(phaseOneKeys(s)).toEqual(['svc_db_1', 'svc_prestart_1', 'svc_proxy_1', 'svc_redis_1', 'svc_watcher_1']);
    // the backend runs after prestart, celery-worker and orchestrator after the backend (transitively);
    // adminer and frontend are start-first (lib/update-policy.ts), kept out of the targeted apply
    for (const later of ['svc_backend_1', 'svc_backend_2', 'svc_orchestrator_1', 'svc_celery_worker_1', 'svc_adminer_1', 'svc_frontend_1']) expect(phaseOneKeys(s)).not.toContain(later);
  });

  it('no jobs and nothing a start-first service uses: no phase 1', () => {
    const s = synth({ 'env.yaml': MINIMAL + '    update: { order: stop-first }\n' }).test;
    expect(phaseOneKeys(s)).toEqual([]);
    expect(deployPlan(s, stateOf({ svc_db_1: { name: 'test-db-1' } })).phaseOneArgs).toEqual([]);
  });

  it('nothing deployed yet: one apply, and it says so', () => {
    const p = deployPlan(local(), { resources: [] });
    expect(p.phaseOneArgs).toEqual([]);
    expect(p.notes.join('\n')).toMatch(/nothing deployed yet/);
  });

  it('a job that exited non-zero in an earlier deploy is replaced in phase 1, and the deploy says so', () => {
    const state = stateOf({ svc_db_1: { name: 'local-db-1' }, svc_prestart_1: { name: 'local-prestart-1', exit_code: 3 } });
    expect(failedJobs(local(), state)).toEqual([{ address: 'docker_container.svc_prestart_1', container: 'local-prestart-1', exitCode: 3 }]);
    const p = deployPlan(local(), state);
    expect(p.phaseOneArgs).toContain('-target=docker_container.svc_prestart_1');
    expect(p.phaseOneArgs).toContain('-replace=docker_container.svc_prestart_1');
    expect(p.notes.join('\n')).toContain('local-prestart-1 exited 3 in an earlier deploy; replacing it (-replace=docker_container.svc_prestart_1)');
  });

  it('a job that succeeded, a tainted one (replaced anyway), or a failed non-job is not forced', () => {
    for (const state of [
      stateOf({ svc_prestart_1: { name: 'local-prestart-1', exit_code: 0 } }),
      stateOf({ svc_prestart_1: { name: 'local-prestart-1', exit_code: 1, status: 'tainted' } }),
      stateOf({ svc_prestart_1: { name: 'local-prestart-1', exit_code: null }, svc_db_1: { name: 'local-db-1', exit_code: 1 } }),
    ]) {
      expect(deployPlan(local(), state).phaseOneArgs.filter((a) => a.startsWith('-replace'))).toEqual([]);
    }
  });
});

describe('phase 1 on a hand-made stack: what a job is, what waits, cycles, and the forced case', () => {
  const C = 'docker_container.';
  const stackOf = (c: Record<string, object>) => ({ resource: { docker_container: c } }) as any;
  const full = () => ({
    job: { attach: true, must_run: false },
    notjob: { attach: true },
    idle: { must_run: false },
    db: {},
    web: { lifecycle: { create_before_destroy: true }, depends_on: [`${C}db`] },
    after: { depends_on: [`${C}job`, 'terraform_data.x'] },
    chain: { depends_on: [`${C}after`] },
    afterweb: { depends_on: [`${C}web`] },
    cyc1: { depends_on: [`${C}cyc2`] },
    cyc2: { depends_on: [`${C}cyc1`] },
    gone: { depends_on: [`${C}nothere`] },
    ajob: { attach: true, must_run: false },
  });

  it('a job is attached and not kept running; phase 1 is everything that waits for no job and no start-first container', () => {
    // sorted, whatever the stack's order
    expect(jobKeys(stackOf(full()))).toEqual(['ajob', 'job']);
    expect(phaseOneKeys(stackOf(full()))).toEqual(['ajob', 'cyc1', 'cyc2', 'db', 'gone', 'idle', 'job', 'notjob']);
  });

  it('without a job, phase 1 exists only while a start-first container uses a stop-first one', () => {
    const { job: _j, ajob: _aj, after: _a, chain: _c, ...noJob } = full();
    expect(phaseOneKeys(stackOf(noJob))).toEqual(['cyc1', 'cyc2', 'db', 'gone', 'idle', 'notjob']);
    // start-first using start-first only, beside a stop-first one that none uses: no phase 1
    const sf = { lifecycle: { create_before_destroy: true } };
    expect(phaseOneKeys(stackOf({ a: sf, b: { ...sf, depends_on: [`${C}a`] }, c: {} }))).toEqual([]);
    expect(deployPlan(stackOf({ a: sf, c: {} }), { resources: [] })).toEqual({ phaseOneArgs: [], notes: [] });
    // through another container too
    expect(phaseOneKeys(stackOf({ db: {}, mid: { depends_on: [`${C}db`] }, web: { lifecycle: { create_before_destroy: true }, depends_on: [`${C}mid`] } }))).toEqual(['db', 'mid']);
    expect(phaseOneKeys(stackOf({ ...noJob, web: { lifecycle: { create_before_destroy: true } } }))).toEqual([]);
    // start-first using start-first only: nothing stop-first to replace first
    expect(phaseOneKeys(stackOf({ a: { lifecycle: { create_before_destroy: true } }, b: { lifecycle: { create_before_destroy: true }, depends_on: [`${C}a`] } }))).toEqual([]);
  });

  it('the phase-1 apply targets each key and replaces each failed job; the notes say both', () => {
    const state = { resources: [
      { mode: 'managed', type: 'docker_container', name: 'job', instances: [{ attributes: { exit_code: 2 } }] },
      { mode: 'managed', type: 'docker_container', name: 'db', instances: [{ attributes: { name: 'x-db-1', exit_code: '1' } }] },
    ] };
    expect(failedJobs(stackOf(full()), state)).toEqual([{ address: `${C}job`, container: `${C}job`, exitCode: 2 }]);
    expect(deployPlan(stackOf(full()), state)).toEqual({
      phaseOneArgs: ['ajob', 'cyc1', 'cyc2', 'db', 'gone', 'idle', 'job', 'notjob'].map((k) => `-target=${C}${k}`).concat(`-replace=${C}job`),
      notes: [
        `one-shot job container ${C}job exited 2 in an earlier deploy; replacing it (-replace=${C}job)`,
        'phase 1, one-shot jobs and what does not wait for them: ajob cyc1 cyc2 db gone idle job notjob',
      ],
    });
    expect(deployPlan(stackOf(full()), { resources: [] })).toEqual({ phaseOneArgs: [], notes: ['nothing deployed yet; jobs run in the single apply (dependents still wait for them)'] });
  });
});

describe('the orphan reaper', () => {
  const hosts = (containers: { name: string; volumes?: string[] }[]): HostListing[] => [
    { alias: 'core', host: 'ssh://deploy@core.example.com', containers: containers.map((c) => ({ name: c.name, volumes: c.volumes ?? [] })) },
  ];
  const env = [{ name: 'prod-db-1', volumes: ['prod-db-data'] }, { name: 'prod-backend-1' }];

  it('refuses when the state knows none of the labelled containers, naming them, their volumes and the fixes', () => {
    for (const known of [new Set<string>(), new Set(['other-env-db-1'])]) {
      const d = decideReap({ environment: 'prod', known, hosts: hosts(env), adopt: false });
      expect(d.kind).toBe('refuse');
      if (d.kind !== 'refuse') return;
      expect(d.message).toContain('on core (ssh://deploy@core.example.com): prod-backend-1, prod-db-1 (data volumes: prod-db-data)'.replace('prod-backend-1, prod-db-1 (data volumes: prod-db-data)', 'prod-db-1 (data volumes: prod-db-data), prod-backend-1'));
      expect(d.message).toContain('Nothing was removed');
      expect(d.message).toContain('--adopt-orphans');
      expect(d.message).toContain('STACKYARD_ADOPT_ORPHANS=prod');
      expect(d.message).toContain('copy .stackyard/secrets/prod.env from the clone that deployed them');
      expect(d.message).toContain('tofu import');
    }
  });

  it('the refusal in full, naming only the hosts that have containers', () => {
    const two: HostListing[] = [
      { alias: 'edge', host: 'ssh://edge', containers: [] },
      { alias: 'core', host: 'ssh://core', containers: [{ name: 'prod-db-1', volumes: ['prod-db-data', 'prod-db-wal'] }, { name: 'prod-api-1', volumes: [] }] },
      { alias: 'work', host: 'ssh://work', containers: [{ name: 'prod-w-1', volumes: [] }] },
    ];
    const d = decideReap({ environment: 'prod', known: new Set(), hosts: two, adopt: false });
    expect(d).toEqual({ kind: 'refuse', message: [
      'the state of prod knows none of the 3 container(s) labelled stackyard.environment=prod:',
      '    on core (ssh://core): prod-db-1 (data volumes: prod-db-data, prod-db-wal), prod-api-1',
      '    on work (ssh://work): prod-w-1',
      '  Nothing was removed. The state is empty or not the one that deployed them (a fresh clone on local state,',
      '  a wrong bucket or key, a lost .stackyard/state file). Either:',
      '    - point `state:` at the right backend, or restore .stackyard/state/prod.tfstate, and deploy again; or',
      '    - adopt them: deploy with --adopt-orphans (or STACKYARD_ADOPT_ORPHANS=prod), which removes these containers and',
      '      recreates them from the environment file; named data volumes are kept and reused, so bring the',
      '      secrets they were created with too (copy .stackyard/secrets/prod.env from the clone that deployed them):',
      '      a database volume keeps the password it was initialized with, and newly generated ones fail to log in; or',
      '    - import them one by one: tofu import docker_container.<id> <container id> (in cdktf.out/stacks/<env>).',
    ].join('\n') });
  });

  it('networks: judged per host (a container of that name on another host is another container), sorted by host and name', () => {
    const hosts: HostListing[] = [
      { alias: 'work', host: 'ssh://work', containers: [{ name: 'prod-x-1', volumes: [], networks: ['prod-z'] }], networks: [{ name: 'prod-z', users: [] }, { name: 'prod-b', users: [] }] },
      // prod-x-1 here is a container of no environment on core: removing work's leaves it using prod-n
      { alias: 'core', host: 'ssh://core', containers: [{ name: 'prod-k-1', volumes: [] }], networks: [{ name: 'prod-n', users: ['prod-x-1'] }, { name: 'prod-known', users: [] }, { name: 'prod-c', users: [] }] },
    ];
    const d = decideReap({ environment: 'prod', known: new Set(['prod-k-1']), knownNetworks: new Set(['prod-known']), hosts, adopt: false });
    expect(d.kind === 'remove' && d.removals.map((r) => `${r.alias}/${r.name}`)).toEqual(['work/prod-x-1']);
    expect(d.kind === 'remove' && d.networks.map((n) => `${n.alias}/${n.name}: ${n.message}`)).toEqual([
      'core/prod-c: removing network prod-c on core (not in the state, no container left on it)',
      'work/prod-b: removing network prod-b on work (not in the state, no container left on it)',
      'work/prod-z: removing network prod-z on work (not in the state, no container left on it)',
    ]);
  });

  it('an unreachable host: docker\'s last line, or that it said nothing; adoption by a list with spaces', () => {
    expect(unreachableHost('edge', 'ssh://x', '\n\n')).toBe('host edge (ssh://x) is unreachable: no answer\n  nothing was deployed; check that the Docker engine there runs and that this machine can reach it');
    // blank lines that hold spaces are no answer either: the last line with text is named, trimmed
    expect(unreachableHost('edge', 'ssh://x', '  \n\t\n')).toMatch(/^host edge \(ssh:\/\/x\) is unreachable: no answer\n/);
    expect(unreachableHost('edge', 'ssh://x', 'ssh: connect to host x port 22: Connection refused  \n   \n')).toMatch(/^host edge \(ssh:\/\/x\) is unreachable: ssh: connect to host x port 22: Connection refused\n/);
    expect(adoptionRequested('prod', false, ' staging , prod ')).toBe(true);
    expect(adoptionRequested('prod', false, 'production')).toBe(false);
  });

  it('removes them when adoption is asked, and says which data volumes stay', () => {
    const d = decideReap({ environment: 'prod', known: new Set(), hosts: hosts(env), adopt: true });
    expect(d).toEqual({
      kind: 'remove',
      removals: [
        { alias: 'core', host: 'ssh://deploy@core.example.com', name: 'prod-db-1', message: 'removing container prod-db-1 on core (not in the state); its data volumes stay: prod-db-data' },
        { alias: 'core', host: 'ssh://deploy@core.example.com', name: 'prod-backend-1', message: 'removing container prod-backend-1 on core (not in the state)' },
      ],
      networks: [],
    });
  });

  it('with a state that knows the environment, removes only the unknown containers (left by a killed apply)', () => {
    const d = decideReap({ environment: 'prod', known: new Set(['prod-db-1']), hosts: hosts([...env, { name: 'prod-prestart-1' }]), adopt: false });
    expect(d.kind === 'remove' && d.removals.map((r) => r.name)).toEqual(['prod-backend-1', 'prod-prestart-1']);
  });

  it('nothing to remove when every container is known or there are none', () => {
    expect(decideReap({ environment: 'prod', known: new Set(['prod-db-1', 'prod-backend-1']), hosts: hosts(env), adopt: false })).toEqual({ kind: 'remove', removals: [], networks: [] });
    expect(decideReap({ environment: 'prod', known: new Set(), hosts: hosts([]), adopt: false })).toEqual({ kind: 'remove', removals: [], networks: [] });
  });

  describe('networks the state does not know (Docker refuses a second network of the same name)', () => {
    const host = (containers: { name: string; networks?: string[] }[], networks: { name: string; users?: string[] }[]): HostListing[] => [{
      alias: 'core', host: 'ssh://deploy@core.example.com',
      containers: containers.map((c) => ({ name: c.name, volumes: [], networks: c.networks ?? [] })),
      networks: networks.map((n) => ({ name: n.name, users: n.users ?? [] })),
    }];
    const names = (d: ReturnType<typeof decideReap>) => (d.kind === 'remove' ? { containers: d.removals.map((r) => r.name), networks: d.networks.map((r) => r.name) } : d.kind);

    it('adopting an environment removes its networks once its containers are gone, and says so', () => {
      const d = decideReap({
        environment: 'prod', known: new Set(), adopt: true,
        hosts: host([{ name: 'prod-db-1', networks: ['prod-private'] }, { name: 'prod-api-1', networks: ['prod-private', 'prod-public'] }], [{ name: 'prod-private', users: ['prod-db-1', 'prod-api-1'] }, { name: 'prod-public', users: ['prod-api-1'] }]),
      });
      expect(names(d)).toEqual({ containers: ['prod-db-1', 'prod-api-1'], networks: ['prod-private', 'prod-public'] });
      expect(d.kind === 'remove' && d.networks[0].message).toBe('removing network prod-private on core (not in the state, no container left on it)');
    });

    it('a network left by a killed apply (state knows the environment) is removed; a known one never', () => {
      const d = decideReap({
        environment: 'prod', known: new Set(['prod-db-1']), knownNetworks: new Set(['prod-private']), adopt: false,
        hosts: host([{ name: 'prod-db-1', networks: ['prod-private'] }], [{ name: 'prod-private', users: ['prod-db-1'] }, { name: 'prod-public' }]),
      });
      expect(names(d)).toEqual({ containers: [], networks: ['prod-public'] });
    });

    it('an unknown network still used by a kept container, even a stopped one, or by a container of no environment stays', () => {
      const kept = decideReap({
        environment: 'prod', known: new Set(['prod-db-1']), adopt: false,
        hosts: host([{ name: 'prod-db-1', networks: ['prod-private'] }, { name: 'prod-job-1', networks: ['prod-private'] }], [{ name: 'prod-private' }]),
      });
      expect(names(kept)).toEqual({ containers: ['prod-job-1'], networks: [] });
      const foreign = decideReap({
        environment: 'prod', known: new Set(), adopt: true,
        hosts: host([{ name: 'prod-db-1', networks: ['prod-private'] }], [{ name: 'prod-private', users: ['prod-db-1', 'someone-elses-debug-shell'] }]),
      });
      expect(names(foreign)).toEqual({ containers: ['prod-db-1'], networks: [] });
    });

    it('nothing is removed when the reaper refuses, networks included', () => {
      const d = decideReap({ environment: 'prod', known: new Set(), adopt: false, hosts: host([{ name: 'prod-db-1', networks: ['prod-private'] }], [{ name: 'prod-private', users: ['prod-db-1'] }]) });
      expect(d.kind).toBe('refuse');
    });
  });

  it('adoption is asked per environment: the variable for one environment does not adopt another', () => {
    expect(adoptionRequested('prod', false, 'staging')).toBe(false);
    expect(adoptionRequested('prod', false, 'staging,prod')).toBe(true);
    expect(adoptionRequested('prod', false, undefined)).toBe(false);
    expect(adoptionRequested('prod', true, undefined)).toBe(true);
  });

  it('an unreachable host stops the deploy with its name (the compiled step, against a socket nobody serves)', () => {
    const dir = tempDir();
    const stack = { '//': { stackyard: { environment: 'ghost', production: false, stateBackend: 'local', github: false } }, provider: { docker: [{ alias: 'edge', host: `unix://${dir}/nobody.sock` }] } };
    fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(stack));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/scripts/deploy-steps.js'), 'reap', dir], { input: '', encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`host edge (unix://${dir}/nobody.sock) is unreachable`);
    expect(unreachableHost('edge', 'ssh://x', 'line 1\nconnection refused\n')).toMatch(/^host edge \(ssh:\/\/x\) is unreachable: connection refused/);
  });
});

describe('secrets at deploy time', () => {
  it('a secrets file without a trailing newline keeps its last value; CRLF and comments are handled', () => {
    expect([...parseSecretsFile('TF_VAR_A=one\nTF_VAR_B=two')]).toEqual([['TF_VAR_A', 'one'], ['TF_VAR_B', 'two']]);
    expect([...parseSecretsFile('# note\r\nTF_VAR_A=one\r\n\r\nTF_VAR_B=t=w=o\r\n')]).toEqual([['TF_VAR_A', 'one'], ['TF_VAR_B', 't=w=o']]);
    expect(parseSecretsFile('TF_VAR_A=first\nTF_VAR_A=second\n').get('TF_VAR_A')).toBe('first');
  });

  it('appending a generated value never joins it to a last line without newline', () => {
    expect(appendSecrets('TF_VAR_A=one', new Map([['TF_VAR_B', 'two']]))).toBe('TF_VAR_A=one\nTF_VAR_B=two\n');
    expect(appendSecrets('TF_VAR_A=one\n', new Map([['TF_VAR_B', 'two']]))).toBe('TF_VAR_A=one\nTF_VAR_B=two\n');
  });

  const base: SecretsInput = {
    environment: 'dev', production: false, github: false, variables: ['DB_PASSWORD', 'STATE_PASSPHRASE'], passphraseVariable: 'STATE_PASSPHRASE',
    processEnv: {}, file: new Map(), mode: 'generate', encryptedStateExists: false, random: () => 'r4nd0m',
  };

  it('--generate-secrets is refused for production and for environments whose secrets live on GitHub', () => {
    expect(resolveSecrets({ ...base, production: true }).error).toMatch(/refused for dev: it is marked production: true/);
    expect(resolveSecrets({ ...base, github: true }).error).toMatch(/refused for dev: its secrets are kept as GitHub secrets/);
    expect(resolveSecrets({ ...base, production: true }).generated.size).toBe(0);
  });

  it('generates only what has no value anywhere; an existing value (process or file) is kept', () => {
    const r = resolveSecrets({ ...base, processEnv: { TF_VAR_DB_PASSWORD: 'given' } });
    expect(r.error).toBeUndefined();
    expect([...r.generated]).toEqual([['TF_VAR_STATE_PASSPHRASE', 'r4nd0m']]);
    const f = resolveSecrets({ ...base, file: new Map([['TF_VAR_DB_PASSWORD', 'kept'], ['TF_VAR_STATE_PASSPHRASE', 'pass']]) });
    expect(f.generated.size).toBe(0);
    expect([...f.exports]).toEqual([['TF_VAR_DB_PASSWORD', 'kept'], ['TF_VAR_STATE_PASSPHRASE', 'pass']]);
  });

  it('never makes up a passphrase for a state that is already encrypted', () => {
    const r = resolveSecrets({ ...base, encryptedStateExists: true });
    expect(r.generated.has('TF_VAR_STATE_PASSPHRASE')).toBe(false);
    expect(r.error).toMatch(/needs these secrets at deploy time: STATE_PASSPHRASE/);
    expect(r.error).toMatch(/passphrase of the encrypted state/);
  });

  it('an encrypted state may exist (no passphrase is made up): always for a remote backend, locally only for a state file that is not plaintext', () => {
    const plain = JSON.stringify({ version: 4, lineage: 'x', resources: [] });
    const encrypted = JSON.stringify({ serial: 1, lineage: 'x', meta: {}, encrypted_data: 'AAA', encryption_version: 'v0' });
    for (const backend of ['s3', 'pg']) expect(encryptedStateMayExist(backend, ''), backend).toBe(true);
    expect(encryptedStateMayExist('local', '')).toBe(false);
    expect(encryptedStateMayExist('local', ' \n')).toBe(false);
    expect(encryptedStateMayExist('local', plain)).toBe(false);
    expect(encryptedStateMayExist('local', encrypted)).toBe(true);
  });

  it('destroy gets placeholders for secrets but still needs the passphrase; require mode names what is missing', () => {
    const p = resolveSecrets({ ...base, mode: 'placeholder' });
    expect(p.exports.get('TF_VAR_DB_PASSWORD')).toBe('unused-by-destroy');
    expect(p.error).toMatch(/STATE_PASSPHRASE/);
    expect(resolveSecrets({ ...base, mode: 'require' }).error).toMatch(/needs these secrets at deploy time: DB_PASSWORD STATE_PASSPHRASE/);
  });

  it('a secrets file: only whole TF_VAR_<NAME>= lines count; nothing is appended when nothing is new', () => {
    expect([...parseSecretsFile(' TF_VAR_A=x\nexport TF_VAR_B=x\nTF_VAR_=x\nTF_VAR_C-D=x\nTF_VAR_E x\nTF_VAR_F=\nTF_VAR_g1=ok\r')]).toEqual([['TF_VAR_F', ''], ['TF_VAR_g1', 'ok']]);
    expect(appendSecrets('TF_VAR_A=one', new Map())).toBe('TF_VAR_A=one');
    expect(appendSecrets('', new Map([['TF_VAR_B', 'two'], ['TF_VAR_C', '3']]))).toBe('TF_VAR_B=two\nTF_VAR_C=3\n');
  });

  it('an empty value, given or in the file, is no value', () => {
    const r = resolveSecrets({ ...base, mode: 'require', processEnv: { TF_VAR_DB_PASSWORD: '' }, file: new Map([['TF_VAR_DB_PASSWORD', 'kept'], ['TF_VAR_STATE_PASSPHRASE', '']]) });
    expect([...r.exports]).toEqual([['TF_VAR_DB_PASSWORD', 'kept']]);
    expect(r.error).toMatch(/^environment dev needs these secrets at deploy time: STATE_PASSPHRASE\n/);
  });

  it('what each mode says: generated names and where they are kept, never a value; the missing ones and both ways to give them', () => {
    const g = resolveSecrets({ ...base, variables: ['A', 'B'], passphraseVariable: undefined, random: undefined });
    expect(g.messages).toEqual(['generated secret A for dev (stored in .stackyard/secrets/dev.env)', 'generated secret B for dev (stored in .stackyard/secrets/dev.env)']);
    // a real random value (24 bytes as hex), a new one for each
    expect(g.generated.get('TF_VAR_A')).toMatch(/^[0-9a-f]{48}$/);
    expect(g.generated.get('TF_VAR_B')).not.toBe(g.generated.get('TF_VAR_A'));
    expect([...g.exports]).toEqual([...g.generated]);
    expect(g.messages.join('\n')).not.toContain(g.generated.get('TF_VAR_A'));
    const e = resolveSecrets({ ...base, encryptedStateExists: true });
    expect(e.messages).toEqual([
      'generated secret DB_PASSWORD for dev (stored in .stackyard/secrets/dev.env)',
      'not generating STATE_PASSPHRASE: the state of dev is already encrypted with a passphrase this machine does not have',
    ]);
    const r = resolveSecrets({ ...base, mode: 'require', file: new Map([['TF_VAR_STATE_PASSPHRASE', 'p']]) });
    expect(r.error).toBe('environment dev needs these secrets at deploy time: DB_PASSWORD\n'
      + '  give each as TF_VAR_<NAME> in the environment (CI passes them from GitHub secrets),\n'
      + '  or put TF_VAR_<NAME>=<value> lines in .stackyard/secrets/dev.env (mode 600, never committed)');
    expect(resolveSecrets({ ...base, mode: 'require' }).error).toMatch(/never committed\)\n  STATE_PASSPHRASE is the passphrase of the encrypted state: without the one it was encrypted with, the state cannot be read$/);
    expect(resolveSecrets({ ...base, production: true }).error).toBe('--generate-secrets is refused for dev: it is marked production: true. Give every secret as TF_VAR_<NAME> (CI passes them from GitHub secrets) or in .stackyard/secrets/dev.env');
    // everything given: no error, no message
    expect(resolveSecrets({ ...base, mode: 'require', processEnv: { TF_VAR_DB_PASSWORD: 'a', TF_VAR_STATE_PASSPHRASE: 'b' } })).toEqual({ exports: new Map(), generated: new Map(), messages: [] });
  });

  it('production or GitHub-kept secrets refuse only generation: given values deploy', () => {
    expect(resolveSecrets({ ...base, mode: 'require', production: true, github: true, processEnv: { TF_VAR_DB_PASSWORD: 'a', TF_VAR_STATE_PASSPHRASE: 'b' } })).toEqual({ exports: new Map(), generated: new Map(), messages: [] });
  });

  it('placeholders stand in for every secret but the passphrase, which comes from the file like any value', () => {
    const p = resolveSecrets({ ...base, mode: 'placeholder', file: new Map([['TF_VAR_STATE_PASSPHRASE', 'p']]) });
    expect(p).toEqual({ exports: new Map([['TF_VAR_DB_PASSWORD', 'unused-by-destroy'], ['TF_VAR_STATE_PASSPHRASE', 'p']]), generated: new Map(), messages: [] });
    // refused generation for production leaves nothing half done
    expect(resolveSecrets({ ...base, production: true, github: true })).toMatchObject({ exports: new Map(), generated: new Map(), messages: [], error: expect.stringMatching(/it is marked production: true\./) });
  });

  it('the shell loader exports the last value of a file that lacks a trailing newline', () => {
    const dir = tempDir();
    const env = `nl${process.pid}`;
    fs.writeFileSync(path.join(dir, 'e.yaml'), MINIMAL.replace('name: test', `name: ${env}`));
    const out = `.stackyard/test-out/${env}`;
    const secretsFile = path.join(ROOT, '.stackyard', 'secrets', `${env}.env`);
    fs.mkdirSync(path.dirname(secretsFile), { recursive: true });
    fs.writeFileSync(secretsFile, 'TF_VAR_DB_PASSWORD=first-value\nTF_VAR_STATE_PASSPHRASE=passphrase-of-16-chars\nTF_VAR_JWT_SECRET=last-value-no-newline', { mode: 0o600 });
    try {
      const r = spawnSync('bash', ['-c', `. scripts/lib/stack.sh; synth_one ${env}; load_secrets ${env}; printf '%s|%s' "$TF_VAR_DB_PASSWORD" "$TF_VAR_JWT_SECRET"`], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out, STACKYARD_SKIP_BUILD: '1', TF_VAR_DB_PASSWORD: '', TF_VAR_JWT_SECRET: '', TF_VAR_STATE_PASSPHRASE: '' },
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('first-value|last-value-no-newline');
    } finally {
      fs.rmSync(secretsFile, { force: true });
      fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    }
  });
});

describe('destructive downs ask first', () => {
  const req = { environment: 'prod', production: false, volumes: false, github: false, yes: false, interactive: false };

  it('a plain down of a non-production environment goes ahead', () => {
    expect(decideDown(req)).toEqual({ kind: 'proceed' });
  });

  it('--volumes, --github or production: asks on a terminal, refuses without one, --yes confirms', () => {
    for (const r of [{ ...req, volumes: true }, { ...req, github: true }, { ...req, production: true }]) {
      const ask = decideDown({ ...r, interactive: true });
      expect(ask.kind).toBe('ask');
      expect(ask.kind === 'ask' && ask.prompt).toContain('Type the environment name (prod)');
      const refuse = decideDown(r);
      expect(refuse.kind === 'refuse' && refuse.message).toMatch(/without confirmation: no terminal to ask on. Pass --yes/);
      expect(decideDown({ ...r, yes: true })).toEqual({ kind: 'proceed' });
    }
    expect(confirms('prod\n', 'prod')).toBe(true);
    expect(confirms('y', 'prod')).toBe(false);
    expect(confirms('', 'prod')).toBe(false);
  });

  it('the question and the refusal name everything that cannot be undone, in one sentence', () => {
    const all = { ...req, production: true, volumes: true, github: true };
    const what = 'the containers and networks of production environment prod; every data volume of prod (databases included); the GitHub environment(s) of prod with their protection rules and secrets';
    expect(decideDown({ ...all, interactive: true })).toEqual({ kind: 'ask', prompt: `This destroys ${what}.\nType the environment name (prod) to go on: ` });
    expect(decideDown(all)).toEqual({ kind: 'refuse', message: `refusing to destroy ${what} without confirmation: no terminal to ask on. Pass --yes to confirm (e.g. in CI).` });
    expect(decideDown({ ...req, volumes: true, interactive: true })).toEqual({ kind: 'ask', prompt: 'This destroys every data volume of prod (databases included).\nType the environment name (prod) to go on: ' });
  });

  it('only GitHub resources are kept out of the destroy, each by its address, sorted', () => {
    const stack = { resource: { github_b: { z: {}, a: {} }, docker_container: { svc: {} }, github_a: { one: {} }, github_empty: null, github_odd: 'x' } };
    expect(keepGithubArgs(stack, false)).toEqual(['-exclude=github_a.one', '-exclude=github_b.a', '-exclude=github_b.z']);
    expect(keepGithubArgs({}, false)).toEqual([]);
  });

  describe('the volumes the state no longer knows (kept by a plain down)', () => {
    const hosts: VolumeListing[] = [
      { alias: 'core', host: 'ssh://core', volumes: [{ name: 'prod-redis-data', users: [] }, { name: 'prod-db-data', users: [] }] },
      { alias: 'edge', host: 'ssh://edge', volumes: [] },
      { alias: 'gpu', host: 'ssh://gpu', volumes: [{ name: 'prod-models', users: [] }] },
    ];

    it('down --volumes deletes every labelled volume on every host, like docker compose down -v', () => {
      const d = decideVolumes('prod', true, hosts);
      expect(d.kind === 'remove' && d.removals.map((r) => [r.host, r.name, r.message])).toEqual([
        ['ssh://core', 'prod-db-data', 'deleting volume prod-db-data on core'],
        ['ssh://core', 'prod-redis-data', 'deleting volume prod-redis-data on core'],
        ['ssh://gpu', 'prod-models', 'deleting volume prod-models on gpu'],
      ]);
    });

    it('a plain down deletes none and names each one it keeps, with the command that deletes them', () => {
      const d = decideVolumes('prod', false, hosts);
      expect(d).toEqual({ kind: 'keep', messages: [
        'keeping volume prod-db-data on core (out of the state; the next deploy reuses it)',
        'keeping volume prod-redis-data on core (out of the state; the next deploy reuses it)',
        'keeping volume prod-models on gpu (out of the state; the next deploy reuses it)',
        'npm run down -- prod --volumes deletes these 3',
      ] });
      expect(decideVolumes('prod', false, [{ alias: 'core', host: 'h', volumes: [{ name: 'prod-db-data', users: [] }] }])).toEqual({ kind: 'keep', messages: [
        'keeping volume prod-db-data on core (out of the state; the next deploy reuses it)', 'npm run down -- prod --volumes deletes it',
      ] });
      expect(decideVolumes('prod', false, [])).toEqual({ kind: 'keep', messages: [] });
      expect(decideVolumes('prod', true, [{ alias: 'core', host: 'h', volumes: [] }])).toEqual({ kind: 'remove', removals: [] });
    });

    it('deletes nothing while a container still mounts one, and names it', () => {
      const busy = [hosts[0], { ...hosts[2], volumes: [{ name: 'prod-models', users: ['prod-trainer-1', 'other-app-1'] }] }];
      const d = decideVolumes('prod', true, busy);
      expect(d.kind).toBe('refuse');
      expect(d.kind === 'refuse' && d.message).toContain('1 of its data volume(s) are still mounted, so none was deleted');
      expect(d.kind === 'refuse' && d.message).toContain('prod-models on gpu (ssh://gpu), used by other-app-1, prod-trainer-1');
    });
  });

  it('GitHub environments and secrets are excluded from the destroy unless --github', () => {
    const s = synth({ 'env.yaml': MINIMAL + 'github: { owner: acme, repository: app }\n' }).test;
    const kept = keepGithubArgs(s, false);
    expect(kept.length).toBeGreaterThan(2);
    expect(kept.every((a) => /^-exclude=github_[a-z_]+\.[A-Za-z0-9_]+$/.test(a))).toBe(true);
    expect(kept.some((a) => a.startsWith('-exclude=github_repository_environment.'))).toBe(true);
    expect(kept.some((a) => a.startsWith('-exclude=github_actions_environment_secret.'))).toBe(true);
    expect(keepGithubArgs(s, true)).toEqual([]);
    expect(keepGithubArgs(synth({ 'env.yaml': MINIMAL }).test, false)).toEqual([]);
  });

  it('down of a production environment without a terminal and without --yes refuses before touching anything', () => {
    const out = `.stackyard/test-out/down-${process.pid}`;
    try {
      const r = spawnSync('bash', ['scripts/down.sh', 'production'], {
        cwd: ROOT, encoding: 'utf8', input: '',
        // an engine that fails at once: if the script got that far, the message would be another one
        env: { ...process.env, CDKTF_OUTDIR: out, STACKYARD_SKIP_BUILD: '1', STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'false' },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('refusing to destroy the containers and networks of production environment production');
      expect(r.stderr).toContain('Pass --yes');
      expect(r.stdout + r.stderr).not.toMatch(/tf init failed|keeping volume/);
    } finally {
      fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    }
  });
  it('on a terminal, down asks for the name: a wrong answer stops it, the right one goes on', () => {
    const out = `.stackyard/test-out/tty-${process.pid}`;
    const onTty = (answer: string) => spawnSync('script', ['-qec', 'bash scripts/down.sh production', '/dev/null'], {
      cwd: ROOT, encoding: 'utf8', input: answer,
      env: { ...process.env, CDKTF_OUTDIR: out, STACKYARD_SKIP_BUILD: '1', STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'false', TF_VAR_STATE_PASSPHRASE: 'a-passphrase-for-the-test' },
    });
    try {
      const no = onTty('staging\n');
      expect(no.stdout).toContain('Type the environment name (production) to go on:');
      expect(no.stdout).toContain('not confirmed; nothing was destroyed');
      expect(no.stdout).not.toContain('tf init failed');
      // confirmed: it goes on to the engine (here one that fails at once)
      const yes = onTty('production\n');
      expect(yes.stdout).not.toContain('not confirmed');
      expect(yes.stdout).toContain('tf init failed');
    } finally {
      fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    }
  });
});

describe('one deploy per environment at a time', () => {
  it('a second deploy or down of an environment whose lock is held fails at once with a clear message', async () => {
    const env = `locked${process.pid}`;
    const lock = path.join(ROOT, '.stackyard', 'locks', `${env}.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    // the first deploy, as far as the lock goes: a process holding it
    const holder = spawn('flock', ['-o', lock, 'sleep', '30'], { stdio: 'ignore' }); // -o: the lock is flock's own, so killing it releases it
    try {
      const t0 = Date.now();
      while (!flockHeld(lock) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
      expect(flockHeld(lock), 'the holder took the lock (as /proc/locks shows it)').toBe(true);
      for (const script of ['scripts/deploy.sh', 'scripts/down.sh']) {
        const started = Date.now();
        const r = spawnSync('bash', [script, env], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STACKYARD_SKIP_BUILD: '1', STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'false' } });
        expect(r.status, script).toBe(75); // EXIT.locked: nothing was done, try again later
        expect(r.stderr, script).toContain(`another deploy or down of ${env} is running on this machine (lock .stackyard/locks/${env}.lock is held); nothing was done`);
        expect(Date.now() - started).toBeLessThan(5000);
      }
    } finally {
      holder.kill();
      await new Promise((r) => holder.on('close', r));
    }
    expect(flockHeld(lock), 'released when its holder ended').toBe(false);
    fs.rmSync(lock, { force: true });
  });
});

describe('state encryption', () => {
  it('every stack encrypts its state and plans with a pbkdf2 key from TF_VAR_STATE_PASSPHRASE, enforced', () => {
    const s = synth({ 'env.yaml': MINIMAL }).test;
    expect(s.terraform.encryption).toEqual(encryptionBlock(false));
    expect(s.terraform.encryption.key_provider.pbkdf2.stackyard.passphrase).toBe('${var.STATE_PASSPHRASE}');
    // OWASP's PBKDF2-HMAC-SHA512 figure; OpenTofu refuses fewer than 200,000 (the engine proves old states still read: test/e2e/safety.test.ts)
    expect(s.terraform.encryption.key_provider.pbkdf2.stackyard).toMatchObject({ hash_function: 'sha512', iterations: 210_000 });
    expect(s.terraform.encryption.state).toEqual({ method: 'method.aes_gcm.stackyard', enforced: true }); // a bare reference: OpenTofu refuses ${…} here
    expect(s.terraform.encryption.plan).toEqual({ method: 'method.aes_gcm.stackyard', enforced: true });
    expect(s.terraform.encryption.method.aes_gcm.stackyard).toEqual({ keys: 'key_provider.pbkdf2.stackyard' });
    expect(s.variable.STATE_PASSPHRASE).toMatchObject({ sensitive: true, nullable: false, type: 'string' });
    expect(s.variable.STATE_PASSPHRASE.default).toBeUndefined();
  });

  it('the unencrypted fallback exists only while migrating that one environment', () => {
    const prev = process.env.STACKYARD_MIGRATE_STATE;
    try {
      process.env.STACKYARD_MIGRATE_STATE = 'test';
      const s = synth({ 'env.yaml': MINIMAL, 'other.yaml': MINIMAL.replace('name: test', 'name: other') });
      expect(s.test.terraform.encryption.state).toEqual({ method: 'method.aes_gcm.stackyard', fallback: { method: 'method.unencrypted.migrate' } }); // not enforced while migrating
      expect(s.test.terraform.encryption.method.unencrypted).toEqual({ migrate: {} });
      expect(s.other.terraform.encryption.state).toEqual({ method: 'method.aes_gcm.stackyard', enforced: true });
      expect(s.other.terraform.encryption.method.unencrypted).toBeUndefined();
    } finally {
      if (prev === undefined) delete process.env.STACKYARD_MIGRATE_STATE;
      else process.env.STACKYARD_MIGRATE_STATE = prev;
    }
  });

  it('state.encryption: false leaves it out (plain Terraform); the passphrase name is reserved', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: local, encryption: false }') }).test;
    expect(s.terraform.encryption).toBeUndefined();
    expect(s.variable.STATE_PASSPHRASE).toBeUndefined();
    expect(errors({ 'env.yaml': MINIMAL.replace('[DB_PASSWORD, JWT_SECRET]', '[DB_PASSWORD, JWT_SECRET, STATE_PASSPHRASE]') }).join('\n')).toMatch(/env.yaml:\d+:\d+ secrets: STATE_PASSPHRASE is the state passphrase/);
  });

  it('tells a plain state from an encrypted one', () => {
    expect(isPlaintextState(JSON.stringify({ version: 4, lineage: 'x', resources: [] }))).toBe(true);
    expect(isPlaintextState(JSON.stringify({ serial: 1, lineage: 'x', meta: {}, encrypted_data: 'AAA', encryption_version: 'v0' }))).toBe(false);
    expect(isPlaintextState('')).toBe(false);
    expect(isPlaintextState('not json')).toBe(false);
    // a state needs its resources or its lineage; other JSON is not one
    expect(isPlaintextState(JSON.stringify({ lineage: 'x' }))).toBe(true);
    expect(isPlaintextState(JSON.stringify({ resources: [] }))).toBe(true);
    expect(isPlaintextState('{}')).toBe(false);
    expect(isPlaintextState(JSON.stringify({ version: 4 }))).toBe(false);
    // STACKYARD_MIGRATE_STATE lists environments, spaces allowed after the commas
    expect(['prod', 'staging', 'dev'].map((e) => migrationRequested(e, 'staging, prod'))).toEqual([true, true, false]);
    expect(migrationRequested('prod', undefined)).toBe(false);
  });
});
