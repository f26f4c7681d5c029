/**
 * Secret versions (lib/deploy/secret-versions.ts): a keyed hash of each secret's value, recorded
 * at deploy, so a pull-request plan that holds no value still shows a rotated secret. Checked:
 * the construction against an independent implementation (Python's hashlib), what a version
 * does not reveal, where it is recorded (never next to a value), how the deploy computes it and
 * how a plan turns it into "rotated" without printing it.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  deployVersions, KEY_ITERATIONS, prepareVersionKey, withSecretVersions, planVersions, recordsVersions, secretReaders, secretVersion, secretVersions, unrecorded, VERSION, versionedSecrets, versionKey,
} from '../lib/deploy/secret-versions';
import { givenPassphrase } from '../lib/deploy/steps';
import { toArtifact } from '../lib/plan/artifact';
import { parsePlan, PLACEHOLDER_PREFIX, renderSummary, rotatedSecrets } from '../lib/plan/summary';
import { placeholderEnv } from '../scripts/pr-plan';
import { MINIMAL, shared, synth, tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');

const PASS = 'correct horse battery staple';

describe('a version is a keyed hash of the value, and nothing more', () => {
  it('matches an independent implementation (PBKDF2-SHA512 600,000 rounds, then HMAC-SHA256, 128 bits)', () => {
    // python3: k = hashlib.pbkdf2_hmac('sha512', PASS, b'stackyard secret versions v1\0production', 600000, 32)
    //          'v1:' + hmac.new(k, b'DB_PASSWORD\0hunter2', hashlib.sha256).hexdigest()[:32]
    expect(KEY_ITERATIONS).toBe(600_000);
    expect(secretVersion(versionKey(PASS, 'production'), 'DB_PASSWORD', 'hunter2')).toBe('v1:b6fc0b58ae44ee8147b73eb82e5e7219');
    expect(secretVersion(versionKey(PASS, 'production', 1000), 'DB_PASSWORD', 'hunter2')).toBe('v1:c537f54f27a290fe90735253c530e665');
  });

  const key = versionKey(PASS, 'production', 1000);

  it('changes with the value, the name, the environment and the passphrase; is stable otherwise', () => {
    const v = secretVersion(key, 'DB_PASSWORD', 'hunter2');
    expect(v).toMatch(VERSION);
    expect(secretVersion(key, 'DB_PASSWORD', 'hunter2')).toBe(v);
    const others = [
      secretVersion(key, 'DB_PASSWORD', 'hunter3'),
      secretVersion(key, 'REDIS_PASSWORD', 'hunter2'), // one value under two names: unrelated versions
      secretVersion(versionKey(PASS, 'staging', 1000), 'DB_PASSWORD', 'hunter2'), // staging and production never share one
      secretVersion(versionKey(`${PASS}!`, 'production', 1000), 'DB_PASSWORD', 'hunter2'),
      // a name/value split cannot be shifted: NAME NUL value is unambiguous
      secretVersion(key, 'DB_PASSWORDh', 'unter2'),
    ];
    expect(new Set([v, ...others]).size).toBe(6);
  });

  it('without the key a low-entropy secret cannot be guessed: no unkeyed or wrongly keyed hash of any 4-digit PIN matches', () => {
    const pin = '4711';
    const v = secretVersion(key, 'SIM_PIN', pin);
    expect(v).not.toContain(pin);
    const wrong = versionKey('a guessed passphrase', 'production', 1000);
    for (let i = 0; i < 10_000; i++) {
      const guess = String(i).padStart(4, '0');
      const unkeyed = `v1:${crypto.createHash('sha256').update(`SIM_PIN\0${guess}`).digest('hex').slice(0, 32)}`;
      expect(unkeyed === v || secretVersion(wrong, 'SIM_PIN', guess) === v).toBe(false);
    }
    // with the key (i.e. with the state passphrase, which decrypts the values anyway) it can
    expect(secretVersion(key, 'SIM_PIN', '4711')).toBe(v);
  });

  it('needs a passphrase', () => {
    expect(() => versionKey('', 'production', 1000)).toThrow(/passphrase is empty/);
  });
});

describe('the deploy records the version of each value it deploys', () => {
  it('an engine command run by hand gets the versions of the values in its environment, keyed by the passphrase the stack names', () => {
    const stack = {
      variable: { STACKYARD_SECRET_VERSIONS: { sensitive: true } },
      resource: { terraform_data: { secret_version_DB_PASSWORD: {}, secret_version_JWT_SECRET: {}, revision_backend: {} } },
      '//': { stackyard: { environment: 'prod', statePassphraseVariable: 'STATE_PASSPHRASE' } },
    };
    const env = { PATH: '/bin', TF_VAR_DB_PASSWORD: 'one', TF_VAR_JWT_SECRET: 'two', TF_VAR_STATE_PASSPHRASE: PASS };
    const out = withSecretVersions(stack, env);
    expect(out.PATH).toBe('/bin');
    expect(JSON.parse(out.TF_VAR_STACKYARD_SECRET_VERSIONS!)).toEqual(secretVersions(versionKey(PASS, 'prod'), new Map([['DB_PASSWORD', 'one'], ['JWT_SECRET', 'two']])));
    // a stack without versions (no state encryption): nothing added
    expect(withSecretVersions({ resource: {} }, env)).toEqual(env);
    expect(() => withSecretVersions(stack, { TF_VAR_DB_PASSWORD: 'one', TF_VAR_STATE_PASSPHRASE: PASS })).toThrow(/no value for secret JWT_SECRET/);
  });

  it('versions every secret of the stack from its value; a destroy records placeholders and derives no key', () => {
    const values = new Map([['DB_PASSWORD', 'one'], ['JWT_SECRET', 'two']]);
    const v = deployVersions({ environment: 'production', names: ['JWT_SECRET', 'DB_PASSWORD'], valueOf: (n) => values.get(n), passphrase: PASS, placeholder: false, iterations: 1000 });
    expect(v).toEqual(secretVersions(versionKey(PASS, 'production', 1000), values));
    expect(Object.keys(v)).toEqual(['DB_PASSWORD', 'JWT_SECRET']);
    expect(() => deployVersions({ environment: 'production', names: ['DB_PASSWORD', 'X'], valueOf: (n) => values.get(n), passphrase: PASS, placeholder: false, iterations: 1000 })).toThrow(/no value for secret X/);
    expect(() => deployVersions({ environment: 'production', names: ['DB_PASSWORD'], valueOf: (n) => values.get(n), passphrase: undefined, placeholder: false, iterations: 1000 })).toThrow(/passphrase/);
    expect(deployVersions({ environment: 'production', names: ['DB_PASSWORD'], valueOf: () => undefined, passphrase: undefined, placeholder: true })).toEqual({ DB_PASSWORD: unrecorded('DB_PASSWORD') });
  });

  it('a key derived ahead (on another thread) is the same key, and is used only for its own passphrase and environment', async () => {
    expect(await prepareVersionKey(undefined, 'production')).toBeUndefined();
    expect(await prepareVersionKey('', 'production')).toBeUndefined();
    // arguments the derivation refuses (here: no iterations) give no key, never a rejected promise
    expect(await prepareVersionKey(PASS, 'production', 0)).toBeUndefined();
    const ahead = await prepareVersionKey(PASS, 'production', 1000);
    expect(ahead?.key.equals(versionKey(PASS, 'production', 1000))).toBe(true);
    // a stand-in key shows which key the versions came from
    const values = new Map([['DB_PASSWORD', 'one']]);
    const base = { names: ['DB_PASSWORD'], valueOf: (n: string) => values.get(n), placeholder: false } as const;
    const standIn = { passphrase: PASS, environment: 'production', key: Buffer.alloc(32, 7) };
    expect(deployVersions({ ...base, environment: 'production', passphrase: PASS, prepared: standIn })).toEqual(secretVersions(standIn.key, values));
    // another passphrase, another environment or other iterations: derived again, the stand-in ignored
    expect(deployVersions({ ...base, environment: 'production', passphrase: PASS, iterations: 1000, prepared: standIn })).toEqual(secretVersions(versionKey(PASS, 'production', 1000), values));
    expect(deployVersions({ ...base, environment: 'production', passphrase: `${PASS}!`, prepared: standIn })).toEqual(secretVersions(versionKey(`${PASS}!`, 'production'), values));
    expect(deployVersions({ ...base, environment: 'staging', passphrase: PASS, prepared: standIn })).toEqual(secretVersions(versionKey(PASS, 'staging'), values));
  });

  it('the passphrase given ahead: the process environment first, then the secrets file; none when neither has it', () => {
    const root = tempDir();
    const prev = process.env.TF_VAR_STATE_PASSPHRASE;
    try {
      delete process.env.TF_VAR_STATE_PASSPHRASE;
      expect(givenPassphrase(root, 'staging')).toBeUndefined();
      fs.mkdirSync(path.join(root, '.stackyard', 'secrets'), { recursive: true });
      fs.writeFileSync(path.join(root, '.stackyard', 'secrets', 'staging.env'), 'TF_VAR_DB_PASSWORD=x\nTF_VAR_STATE_PASSPHRASE=from-the-file-0123\n');
      expect(givenPassphrase(root, 'staging')).toBe('from-the-file-0123');
      expect(givenPassphrase(root, 'production')).toBeUndefined();
      process.env.TF_VAR_STATE_PASSPHRASE = 'from-the-environment';
      expect(givenPassphrase(root, 'staging')).toBe('from-the-environment');
    } finally {
      if (prev === undefined) delete process.env.TF_VAR_STATE_PASSPHRASE;
      else process.env.TF_VAR_STATE_PASSPHRASE = prev;
    }
  });

  it('the shell loader exports the versions next to the values, and the versions are of those values', () => {
    const dir = tempDir();
    const env = `sv${process.pid}`;
    fs.writeFileSync(path.join(dir, 'e.yaml'), MINIMAL.replace('name: test', `name: ${env}`));
    const out = `.stackyard/test-out/${env}`;
    // its own folder: on a fresh clone no other test file may have made .stackyard/test-out yet
    fs.mkdirSync(path.join(ROOT, '.stackyard', 'test-out'), { recursive: true });
    try {
      const r = spawnSync('bash', ['-c', `. scripts/lib/stack.sh; synth_one ${env}; load_secrets ${env}; printf '%s' "$TF_VAR_STACKYARD_SECRET_VERSIONS"`], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out, STACKYARD_SKIP_BUILD: '1', TF_VAR_DB_PASSWORD: 'db-value', TF_VAR_JWT_SECRET: 'jwt-value', TF_VAR_STATE_PASSPHRASE: PASS },
      });
      expect(r.stderr).toBe('');
      const key = versionKey(PASS, env);
      expect(JSON.parse(r.stdout)).toEqual({ DB_PASSWORD: secretVersion(key, 'DB_PASSWORD', 'db-value'), JWT_SECRET: secretVersion(key, 'JWT_SECRET', 'jwt-value') });
    } finally {
      fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    }
  });
});

describe('the stack records versions apart from the values', () => {
  const stackOf = shared(() => synth({ 'env.yaml': MINIMAL }).test);

  it('one terraform_data per secret, from a sensitive map variable without default', () => {
    const stack = stackOf();
    expect(stack.variable.STACKYARD_SECRET_VERSIONS).toMatchObject({ type: 'map(string)', sensitive: true, nullable: false });
    expect(stack.variable.STACKYARD_SECRET_VERSIONS.default).toBeUndefined();
    expect(Object.fromEntries(Object.entries(stack.resource.terraform_data).map(([k, v]: [string, any]) => [k, v.input]))).toEqual({
      secret_version_DB_PASSWORD: '${var.STACKYARD_SECRET_VERSIONS["DB_PASSWORD"]}',
      secret_version_JWT_SECRET: '${var.STACKYARD_SECRET_VERSIONS["JWT_SECRET"]}',
    });
  });

  it('a container is replaced when a secret it reads (declared, or inside a file) changes version, and carries no version itself', () => {
    const stack = stackOf();
    expect(secretReaders(stack)).toEqual(new Map([
      ['docker_container.svc_api_1', ['DB_PASSWORD', 'JWT_SECRET']], // DATABASE_URL embeds DB_PASSWORD
      ['docker_container.svc_api_2', ['DB_PASSWORD', 'JWT_SECRET']],
      ['docker_container.svc_db_1', ['DB_PASSWORD']],
    ]));
    for (const [name, c] of Object.entries(stack.resource.docker_container) as [string, any][]) {
      const { lifecycle, ...rest } = c;
      expect(JSON.stringify(rest), name).not.toMatch(/STACKYARD_SECRET_VERSIONS|secret_version/);
      if (lifecycle) expect(JSON.stringify(lifecycle)).not.toContain('STACKYARD_SECRET_VERSIONS');
    }
  });

  it('without state encryption there is no key, so nothing is versioned', () => {
    const plain = synth({ 'env.yaml': MINIMAL.replace('services:', 'state: { backend: local, encryption: false }\nservices:') }).test;
    expect(plain.variable.STACKYARD_SECRET_VERSIONS).toBeUndefined();
    // (the start-first machinery's own terraform_data, lib/docker/render.ts, stays)
    expect(Object.keys(plain.resource.terraform_data).filter((k) => k.startsWith('secret_version_'))).toEqual([]);
    expect(secretReaders(plain).size).toBe(0);
  });
});

describe('a pull-request plan shows a rotation, never a version or a value', () => {
  const OLD = 'v1:0123456789abcdef0123456789abcdef';
  const NEW = 'v1:fedcba9876543210fedcba9876543210';
  const labels = [{ label: 'stackyard.service', value: 'api' }, { label: 'stackyard.host', value: 'main' }, { label: 'stackyard.kind', value: 'web' }];
  const version = (name: string, before: string | null, after: string | null) => ({
    address: `terraform_data.secret_version_${name}`, mode: 'managed', type: 'terraform_data', name: `secret_version_${name}`,
    change: {
      actions: before === null ? ['create'] : after === null ? ['delete'] : before === after ? ['no-op'] : ['update'],
      before: before === null ? null : { id: 'x', input: before, output: before }, after: after === null ? null : { id: 'x', input: after },
      before_sensitive: { input: true, output: true }, after_sensitive: { input: true, output: true }, after_unknown: { output: true },
    },
  });
  // as tofu plans a container whose trigger changed: replaced, its own attributes unchanged
  const triggered = (name: string, placeholderEnv = false) => ({
    address: `docker_container.${name}`, mode: 'managed', type: 'docker_container', name, action_reason: 'replace_by_triggers',
    change: {
      actions: ['delete', 'create'],
      before: { labels, image: 'a', env: ['DB_PASSWORD=real'] }, after: { labels, image: 'a', env: [placeholderEnv ? `DB_PASSWORD=${PLACEHOLDER_PREFIX}DB_PASSWORD` : 'DB_PASSWORD=real'] },
      before_sensitive: { env: true }, after_sensitive: { env: true }, after_unknown: { id: true },
    },
  });
  const readers = new Map([['docker_container.svc_api_1', ['DB_PASSWORD', 'JWT_SECRET']], ['docker_container.svc_db_1', ['DB_PASSWORD']]]);
  const parse = (...rcs: object[]) => parsePlan('production', JSON.stringify({ format_version: '1.2', resource_changes: rcs }), 'p', { placeholders: true, secretReaders: readers });

  it('a rotated secret: its version changes, exactly its readers are replaced, the summary names it', () => {
    const p = parse(version('DB_PASSWORD', OLD, NEW), version('JWT_SECRET', OLD, OLD), triggered('svc_api_1', true), triggered('svc_db_1', true));
    expect(p.changes.map((c) => [c.action, c.address, c.attributes.map((a) => `${a.path}: ${a.before} -> ${a.after}${a.forcesReplacement ? ' (forces)' : ''}`)])).toEqual([
      ['update', 'terraform_data.secret_version_DB_PASSWORD', ['version: (version of the last deploy) -> (rotated)']],
      ['replace', 'docker_container.svc_api_1', ['secret DB_PASSWORD: (version of the last deploy) -> (rotated) (forces)']],
      ['replace', 'docker_container.svc_db_1', ['secret DB_PASSWORD: (version of the last deploy) -> (rotated) (forces)']],
    ]);
    expect(rotatedSecrets(p)).toEqual(['DB_PASSWORD']);
    const md = renderSummary([p]).markdown;
    expect(md).toContain('  - secrets rotated: `DB_PASSWORD` (values never shown; the containers that read them are replaced)');
    expect(md).toContain('`secret DB_PASSWORD`: _(version of the last deploy)_ → _(rotated)_ _(forces replacement)_');
    for (const text of [md, JSON.stringify(p), toArtifact([p])]) for (const v of [OLD, NEW, 'real']) expect(text).not.toContain(v);
  });

  it('an unrecorded version is a placeholder: no rotation, and the replacements it triggers are no change', () => {
    const p = parse(version('DB_PASSWORD', OLD, unrecorded('DB_PASSWORD')), triggered('svc_api_1', true), triggered('svc_db_1', true));
    expect(p.changes).toEqual([]);
    expect(renderSummary([p]).markdown).not.toContain('rotated');
  });

  it('a trigger that only a placeholder fired leaves the container\'s own changes, as an update', () => {
    const c = triggered('svc_api_1', true);
    c.change.after.image = 'b';
    const p = parse(version('DB_PASSWORD', OLD, unrecorded('DB_PASSWORD')), c);
    expect(p.changes.map((x) => [x.action, x.address, x.attributes.map((a) => a.path)])).toEqual([['update', 'docker_container.svc_api_1', ['image']]]);
  });

  it('a new secret is a new version (no rotation); a removed one is a removed version', () => {
    const p = parse(version('JWT_SECRET', null, unrecorded('JWT_SECRET')), version('OLD_TOKEN', OLD, null), triggered('svc_api_1', true));
    expect(p.changes.map((c) => [c.action, c.address, c.attributes.map((a) => `${a.path}: ${a.after}`)])).toEqual([
      ['create', 'terraform_data.secret_version_JWT_SECRET', []],
      ['delete', 'terraform_data.secret_version_OLD_TOKEN', ['version: (none)']],
      ['replace', 'docker_container.svc_api_1', ['secret JWT_SECRET: (new secret)']],
    ]);
    expect(rotatedSecrets(p)).toEqual([]);
  });

  it('the deploy\'s own plan (real values, no placeholders) names the rotation the same way', () => {
    const p = parsePlan('production', JSON.stringify({ format_version: '1.2', resource_changes: [version('DB_PASSWORD', OLD, NEW)] }), 'p');
    expect(rotatedSecrets(p)).toEqual(['DB_PASSWORD']);
    expect(JSON.stringify(p)).not.toContain(NEW);
  });
});

describe('the pull-request plan gives tofu the recorded versions', () => {
  const stackJsonOf = shared(() => synth({ 'env.yaml': MINIMAL }).test);
  const recorded = JSON.stringify({ DB_PASSWORD: 'v1:0123456789abcdef0123456789abcdef', GONE: 'v1:0123456789abcdef0123456789abcdef' });

  it('the recorded version of each secret, a placeholder for one without; the passphrase; placeholders for values', () => {
    const stackJson = stackJsonOf();
    const env = placeholderEnv(stackJson, 'the-passphrase-1234', recorded);
    expect(JSON.parse(env.TF_VAR_STACKYARD_SECRET_VERSIONS)).toEqual({ DB_PASSWORD: 'v1:0123456789abcdef0123456789abcdef', JWT_SECRET: unrecorded('JWT_SECRET') });
    expect(env.TF_VAR_DB_PASSWORD).toBe(`${PLACEHOLDER_PREFIX}DB_PASSWORD`);
    expect(JSON.parse(placeholderEnv(stackJson, 'the-passphrase-1234').TF_VAR_STACKYARD_SECRET_VERSIONS)).toEqual(planVersions(['DB_PASSWORD', 'JWT_SECRET'], undefined));
  });

  it('refuses a malformed record, naming the entry and never its value', () => {
    const stackJson = stackJsonOf();
    const bad = (text: string) => () => placeholderEnv(stackJson, 'p', text);
    expect(bad('{')).toThrow(/STACKYARD_SECRET_VERSIONS is not JSON/);
    expect(bad('["v1:0123456789abcdef0123456789abcdef"]')).toThrow(/not a JSON object/);
    expect(bad('{"DB_PASSWORD":"hunter2-the-real-value"}')).toThrow(/malformed version for DB_PASSWORD/);
    expect(bad('{"DB_PASSWORD":"hunter2-the-real-value"}')).not.toThrow(/hunter2/);
    expect(bad('{"a b":"v1:0123456789abcdef0123456789abcdef"}')).toThrow(/not a secret name/);
    expect(bad(`{"A":"${'x'.repeat(300 * 1024)}"}`)).toThrow(/larger than 256 KiB/);
  });
});

// Tests that kill the mutants a scoped Stryker run left in the code above (README "Mutation testing").
describe('secret versions: edges', () => {
  const OLD = 'v1:0123456789abcdef0123456789abcdef';
  const NEW = 'v1:fedcba9876543210fedcba9876543210';
  const data = (name: string, actions: string[], before: object | null, after: object | null, extra: object = {}) => ({
    address: `terraform_data.${name}`, mode: 'managed', type: 'terraform_data', name,
    change: { actions, before, after, before_sensitive: {}, after_sensitive: {}, after_unknown: {} }, ...extra,
  });
  const container = (name: string, reason?: string) => ({
    address: `docker_container.${name}`, mode: 'managed', type: 'docker_container', name, ...(reason ? { action_reason: reason } : {}),
    change: { actions: ['delete', 'create'], before: { image: 'a' }, after: { image: 'a' }, before_sensitive: {}, after_sensitive: {}, after_unknown: {}, replace_paths: [] },
  });
  const readers = new Map([['docker_container.svc_api_1', ['DB_PASSWORD']]]);
  const parse = (rcs: object[], options: object = { placeholders: true, secretReaders: readers }) => parsePlan('s', JSON.stringify({ format_version: '1.2', resource_changes: rcs }), 'p', options);

  it('a replaced version counts as rotated; only a change of its input does; an unknown input is no placeholder', () => {
    const replaced = parse([data('secret_version_DB_PASSWORD', ['delete', 'create'], { input: OLD }, { input: NEW })]);
    expect(replaced.changes.map((c) => [c.action, c.host, c.service, c.dataLoss])).toEqual([['replace', '(secrets)', 'DB_PASSWORD', false]]);
    expect(rotatedSecrets(replaced)).toEqual(['DB_PASSWORD']);
    // the same input, another attribute changed: not a rotation
    expect(parse([data('secret_version_DB_PASSWORD', ['update'], { input: OLD, triggers_replace: 1 }, { input: OLD, triggers_replace: 2 })]).changes).toEqual([]);
    // input unknown until apply: no crash, and no rotation claimed from a value not known
    expect(() => parse([data('secret_version_DB_PASSWORD', ['update'], { input: OLD }, { input: null })])).not.toThrow();
    // an update without values (not as tofu writes it) reads without a crash; a forgotten version is no rotation
    expect(parse([data('secret_version_DB_PASSWORD', ['update'], null, null)]).changes).toEqual([]);
    expect(parse([data('secret_version_DB_PASSWORD', ['forget'], { input: OLD }, null)]).changes).toEqual([]);
    // a placeholder look-alike in a deploy's own plan (no placeholders option) is a real value
    expect(rotatedSecrets(parse([data('secret_version_DB_PASSWORD', ['update'], { input: OLD }, { input: unrecorded('DB_PASSWORD') })], {}))).toEqual(['DB_PASSWORD']);
  });

  it('only replace_by_triggers replacements name the secret; a plan without readers still parses', () => {
    const rotated = data('secret_version_DB_PASSWORD', ['update'], { input: OLD }, { input: NEW });
    // replaced for another reason, and nothing left once placeholders compare equal: no change
    expect(parse([rotated, container('svc_api_1', 'replace_because_cannot_update')]).changes.find((c) => c.type === 'docker_container')).toBeUndefined();
    expect(parse([rotated, container('svc_api_1', 'replace_by_triggers')], {}).changes.find((c) => c.type === 'docker_container')?.attributes).toEqual([]);
    expect(parse([rotated, container('svc_api_1', 'replace_by_triggers')]).changes.find((c) => c.type === 'docker_container')?.attributes.map((a) => a.path)).toEqual(['secret DB_PASSWORD']);
  });

  it('a malformed entry is refused with a message even next to version resources', () => {
    expect(() => parse([null, data('secret_version_DB_PASSWORD', ['update'], { input: OLD }, { input: NEW })])).toThrow(/resource_changes\[0\] that is not a resource change/);
  });

  it('rotated secrets: from version resources only, sorted, at most 50, listed with commas', () => {
    const names = Array.from({ length: 60 }, (_, i) => `S${String(59 - i).padStart(2, '0')}`);
    // a removed secret's version is no rotation; names sorting first, so the cut at 50 keeps them if wrongly counted
    const p = parse([...names.map((n) => data(`secret_version_${n}`, ['update'], { input: OLD }, { input: NEW })), data('secret_version_A_GONE', ['delete'], { input: OLD }, null)]);
    expect(p.changes.find((c) => c.service === 'A_GONE')?.attributes).toEqual([{ path: 'version', before: '(version of the last deploy)', after: '(none)', forcesReplacement: false }]);
    const fake = { address: 'docker_container.x', type: 'docker_container', action: 'update' as const, host: 'h', service: 'A_CONTAINER', attributes: [{ path: 'version', before: 'a', after: '(rotated)', forcesReplacement: false }], dataLoss: false };
    const r = rotatedSecrets({ ...p, changes: [...p.changes, fake] });
    expect(r).toEqual([...names].sort().slice(0, 50));
    expect(renderSummary([parse(['A', 'B'].map((n) => data(`secret_version_${n}`, ['update'], { input: OLD }, { input: NEW })))]).markdown).toContain('secrets rotated: `A`, `B` (');
  });

  it('sensitivity marks that are null are no sensitivity and no crash', () => {
    const p = parsePlan('s', JSON.stringify({ format_version: '1.2', resource_changes: [{
      address: 'docker_container.svc_api_1', mode: 'managed', type: 'docker_container', name: 'svc_api_1',
      change: { actions: ['update'], before: { image: 'a' }, after: { image: 'b' }, before_sensitive: { image: null }, after_sensitive: null, after_unknown: {} },
    }] }));
    expect(p.changes[0].attributes).toEqual([{ path: 'image', before: 'a', after: 'b', forcesReplacement: false }]);
  });

  it('the recorded map: names sorted; refused unless an object of versions; 256 KiB is the limit', () => {
    expect(Object.keys(planVersions(['B', 'A'], ` ${JSON.stringify({ A: OLD })}\n`))).toEqual(['A', 'B']);
    expect(planVersions(['A'], ` ${JSON.stringify({ A: OLD })}\n`)).toEqual({ A: OLD });
    for (const t of ['null', '"v1"', '5']) expect(() => planVersions(['A'], t), t).toThrow(/not a JSON object/);
    expect(() => planVersions(['A'], '{"A":5}')).toThrow(/malformed version for A/);
    expect(() => planVersions(['A'], `{${' '.repeat(256 * 1024 - 2)}}`)).not.toThrow();
    expect(() => planVersions(['A'], `{${' '.repeat(256 * 1024 - 1)}}`)).toThrow(/larger than 256 KiB/);
  });

  it('the recorded map, entry by entry: a whole version and a whole secret name only; own entries only; blank is none', () => {
    const hex = '0123456789abcdef0123456789abcdef';
    for (const v of [`v1:${hex}0`, `xv1:${hex}`, `v1:${hex.toUpperCase()}`, `v2:${hex}`]) expect(() => planVersions(['A'], JSON.stringify({ A: v })), v).toThrow('STACKYARD_SECRET_VERSIONS has a malformed version for A (expected v1:<32 hex>)');
    // a list holding one version prints as that version: still no string
    expect(() => planVersions(['A'], JSON.stringify({ A: [`v1:${hex}`] }))).toThrow(/malformed version for A/);
    expect(planVersions(['A'.repeat(128)], JSON.stringify({ ['A'.repeat(128)]: `v1:${hex}` }))).toEqual({ ['A'.repeat(128)]: `v1:${hex}` });
    for (const k of ['A'.repeat(129), '1A', 'A-B', '']) expect(() => planVersions(['A'], JSON.stringify({ [k]: `v1:${hex}` })), k).toThrow('STACKYARD_SECRET_VERSIONS has an entry that is not a secret name');
    // a secret named like an object's inherited member has no recorded version in an empty map
    expect(planVersions(['constructor', 'toString'], '{}')).toEqual({ constructor: unrecorded('constructor'), toString: unrecorded('toString') });
    // an empty or blank secret (not set yet in the plan environment): every secret unrecorded
    expect(planVersions(['A'], ' \n')).toEqual({ A: unrecorded('A') });
  });

  it('an engine command run by hand on a stack without stackyard\'s metadata: the passphrase is missing, said as such', () => {
    const stack = { variable: { STACKYARD_SECRET_VERSIONS: { sensitive: true } }, resource: { terraform_data: { secret_version_A: {} } } };
    expect(() => withSecretVersions(stack, { TF_VAR_A: 'one' })).toThrow('the state passphrase is empty; secret versions need it');
    expect(() => withSecretVersions({ ...stack, '//': {} }, { TF_VAR_A: 'one' })).toThrow('the state passphrase is empty; secret versions need it');
  });

  it('reading a synthesized stack: only version resources and string triggers count, sorted', () => {
    const stack = {
      variable: { STACKYARD_SECRET_VERSIONS: {} },
      resource: {
        terraform_data: { secret_version_B: {}, other: {}, secret_version_A: {} },
        docker_container: {
          c: { lifecycle: { replace_triggered_by: ['terraform_data.secret_version_B', 7, 'docker_image.x', 'terraform_data.secret_version_A'] } },
          d: { lifecycle: { replace_triggered_by: 'terraform_data.secret_version_A' } },
          e: {},
        },
      },
    };
    expect(versionedSecrets(stack)).toEqual(['A', 'B']);
    expect(secretReaders(stack)).toEqual(new Map([['docker_container.c', ['A', 'B']]]));
    expect(recordsVersions(stack)).toBe(true);
    expect(recordsVersions({ resource: stack.resource })).toBe(false);
    expect(recordsVersions({})).toBe(false);
  });

  it('synthesized triggers are in name order, and none without versions; the plan environment gets the versions', () => {
    const api = synth({ 'env.yaml': MINIMAL.replace('secrets: [JWT_SECRET]', 'secrets: [JWT_SECRET]\n    env: { DB_URL_FILE: /run/secrets/DATABASE_URL }') }).test.resource.docker_container.svc_api_1;
    expect(api.lifecycle.replace_triggered_by).toEqual(['terraform_data.secret_version_DB_PASSWORD', 'terraform_data.secret_version_JWT_SECRET']);
    const plain = synth({ 'env.yaml': MINIMAL.replace('services:', 'state: { backend: local, encryption: false }\nservices:') }).test;
    for (const c of Object.values(plain.resource.docker_container) as any[]) expect(c.lifecycle?.replace_triggered_by).toBeUndefined();
    const noSecrets = synth({ 'env.yaml': 'name: bare\nhosts:\n  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }\nservices:\n  web: { kind: service, image: x/web, tag: "1" }\n' }).bare;
    expect(noSecrets.variable?.STACKYARD_SECRET_VERSIONS).toBeUndefined();
    const gh = synth({ 'env.yaml': MINIMAL.replace('services:', 'github: { owner: acme, repository: app, planEnvironment: true }\nservices:') }).test;
    expect(gh.resource.github_actions_environment_secret.github_plan_secret_versions).toMatchObject({
      environment: '${github_repository_environment.github_plan_environment.environment}', secret_name: 'STACKYARD_SECRET_VERSIONS', plaintext_value: '${jsonencode(var.STACKYARD_SECRET_VERSIONS)}',
    });
    expect(synth({ 'env.yaml': MINIMAL.replace('services:', 'github: { owner: acme, repository: app }\nservices:') }).test.resource.github_actions_environment_secret?.github_plan_secret_versions).toBeUndefined();
  });
});
