/**
 * A literal value under an env key that names a secret (…PASSWORD, …PASSWD, …SECRET, …TOKEN,
 * …API_KEY, …PRIVATE_KEY, …ACCESS_KEY) is refused at synth, positioned on the key and without
 * echoing the value; file paths, empty values and ordinary keys pass.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthEnvironments } from '../lib/app';
import { secretValueProblems } from '../lib/config/secret-values';
import { errors, MINIMAL, synth, warnings, writeFiles } from './helpers';

const VALUE = 'canary-typed-value-5e8a';
/** What a setting looks like: words, no digits (an opaque letters-and-digits string settles the guess). */
const SETTING = 'canary-setting-value';
const withEnv = (env: string) => ({ 'env.yaml': MINIMAL.replace('    uses: [db]', `    uses: [db]\n    env: { ${env} }`) });
const refusal = (key: string) =>
  `env.yaml:16:12 services.api.env.${key}: looks like a secret value in plain YAML; declare ${key} in the top-level \`secrets:\` list, list it in this service's \`secrets:\` and pass its value as TF_VAR_${key} at deploy time`;

describe('secret-looking values in env', () => {
  const keys = ['SMTP_PASSWORD', 'LDAP_PASSWD', 'SESSION_SECRET', 'GITHUB_TOKEN', 'STRIPE_API_KEY', 'SSH_PRIVATE_KEY', 'AWS_SECRET_ACCESS_KEY', 'S3_ACCESS_KEY'];
  for (const key of keys) {
    it(`refuses a literal ${key}, positioned on the key, without printing the value`, () => {
      const lines = errors(withEnv(`${key}: ${VALUE}`));
      expect(lines).toEqual([refusal(key)]);
      expect(lines.join('\n')).not.toContain(VALUE);
    });
  }

  it('refuses the word that ends the key (TOKEN alone, a suffix): the key says it holds the secret', () => {
    for (const key of ['TOKEN', 'MY_TOKEN', 'Db_Password']) expect(errors(withEnv(`${key}: ${VALUE}`)), key).toEqual([refusal(key).replace(/declare Db_Password|TF_VAR_Db_Password/g, (m) => m.toUpperCase().replace('DECLARE', 'declare'))]);
  });

  it('warns, and synthesizes, when the key only mentions the word (a setting about a secret, perhaps a secret)', () => {
    for (const key of ['TOKEN_FOR_CI', 'PASSWORD_POLICY', 'SECRET_STORE_KIND']) {
      const files = withEnv(`${key}: ${SETTING}`);
      expect(synth(files).test.resource.docker_container.svc_api_1.env, key).toContain(`${key}=${SETTING}`);
      const lines = warnings(files);
      expect(lines, key).toEqual([`env.yaml:16:12 services.api.env.${key}: warning: may be a secret value in plain YAML (the name mentions one); if it is one, declare ${key} in the top-level \`secrets:\` list, list it in this service's \`secrets:\` and pass its value as TF_VAR_${key} at deploy time; if it is a setting, rename the key or ignore this warning`]);
      expect(lines.join('\n')).not.toContain(SETTING);
    }
  });

  it('refuses a value shaped like a credential even when the key only mentions the word, or not at all, without printing it', () => {
    const shaped = ['ghp_' + 'a1B2'.repeat(9), 'github_pat_' + 'x9'.repeat(20), 'AKIA' + 'Q7'.repeat(8), 'xoxb-1234-5678-abcdEFGH', 'sk_live_' + 'Zz09'.repeat(6), '-----BEGIN OPENSSH PRIVATE KEY-----'];
    for (const value of shaped) {
      for (const key of ['TOKEN_FOR_CI', 'UPSTREAM']) {
        const lines = errors(withEnv(`${key}: "${value}"`));
        expect(lines, `${key}=${value}`).toHaveLength(1);
        expect(lines[0], `${key}=${value}`).toMatch(new RegExp(`^env\\.yaml:16:12 services\\.api\\.env\\.${key}: (looks like|holds)`));
        expect(lines.join('\n')).not.toContain(value);
      }
    }
    // the shapes need the prefix and the length: ordinary values pass
    for (const value of ['ghp_short', 'AKIA-not-a-key', 'sk_live', 'BEGIN PRIVATE KEY']) expect(synth(withEnv(`UPSTREAM: "${value}"`)).test.resource.docker_container.svc_api_1.env, value).toContain(`UPSTREAM=${value}`);
  });

  it('refuses, under a key that only mentions the word, a value that settles the guess: a URL password, an assignment, an opaque string', () => {
    for (const value of ['postgres://app:hunter2@db/app', '--password=hunter2', VALUE, 'k3Yb4se64Generated0123']) {
      for (const key of ['TOKEN_FOR_CI', 'SECRET_KEY_BASE', 'DB_PASSWORD_PROD']) {
        const lines = errors(withEnv(`${key}: "${value}"`));
        expect(lines, `${key}=${value}`).toHaveLength(1);
        expect(lines[0], `${key}=${value}`).toMatch(new RegExp(`^env\\.yaml:16:12 services\\.api\\.env\\.${key}: looks like a secret value`));
        expect(lines.join('\n')).not.toContain(value);
      }
    }
  });

  it('refuses a credential inside a longer string, under any key', () => {
    const token = 'ghp_' + 'a1B2'.repeat(9);
    for (const value of [`Bearer ${token}`, `https://${token}@github.com/org/repo`, `AKIA${'Q7'.repeat(8)} rest`]) {
      const lines = errors(withEnv(`UPSTREAM: "${value}"`));
      expect(lines, value).toEqual([expect.stringMatching(/^env\.yaml:16:12 services\.api\.env\.UPSTREAM: holds a credential/)]);
      expect(lines.join('\n')).not.toContain(token);
    }
  });

  it('the CLI prints the warning on stderr, positioned, and the synth succeeds', () => {
    const dir = writeFiles(withEnv(`TOKEN_FOR_CI: ${SETTING}`));
    const out: string[] = [];
    const err: string[] = [];
    expect(synthEnvironments({ dir, outdir: path.join(dir, 'out'), quiet: true, out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
    expect(err).toEqual([expect.stringMatching(/env\.yaml:16:12 services\.api\.env\.TOKEN_FOR_CI: warning: may be a secret value/)]);
    expect(err.join('\n')).not.toContain(SETTING);
    expect(fs.existsSync(path.join(dir, 'out', 'stacks', 'test', 'cdk.tf.json'))).toBe(true);
  });

  it('no warning for a clean file', () => {
    expect(warnings(withEnv('LOG_LEVEL: debug'))).toEqual([]);
  });

  it('accepts a file path, an empty value and ordinary keys, and writes them as given', () => {
    const stack = synth(withEnv('GITHUB_TOKEN_FILE: /run/secrets/GITHUB_TOKEN, SMTP_PASSWORD: "", LOG_LEVEL: debug, TOKENIZER: /opt/t')).test;
    const env: string[] = stack.resource.docker_container.svc_api_1.env;
    expect(env).toEqual(expect.arrayContaining(['GITHUB_TOKEN_FILE=/run/secrets/GITHUB_TOKEN', 'SMTP_PASSWORD=', 'LOG_LEVEL=debug', 'TOKENIZER=/opt/t']));
  });

  it('a true/false flag under a secret-looking key is not a secret', () => {
    const env: string[] = synth(withEnv('ENABLE_TOKEN_AUTH: true, SECRET_SCANNING: false')).test.resource.docker_container.svc_api_1.env;
    expect(env).toEqual(expect.arrayContaining(['ENABLE_TOKEN_AUTH=true', 'SECRET_SCANNING=false']));
  });

  // Was a gap: a number was never checked, so a numeric PIN or token passed as plain YAML.
  it('refuses a numeric value under a secret-looking key', () => {
    expect(errors(withEnv('SIM_PIN_PASSWORD: 123456'))).toEqual([refusal('SIM_PIN_PASSWORD')]);
    expect(errors(withEnv('API_TOKEN: 7'))).toEqual([refusal('API_TOKEN')]);
  });

  it('a 0/1 switch or a number that says what it counts is not a secret', () => {
    const env: string[] = synth(withEnv('ENABLE_TOKEN_AUTH: 1, SECRET_SCANNING: 0, JWT_TOKEN_LIFETIME: 3600, PASSWORD_HASH_ROUNDS: 12, TOKEN_MAX_AGE: 60')).test.resource.docker_container.svc_api_1.env;
    expect(env).toEqual(expect.arrayContaining(['ENABLE_TOKEN_AUTH=1', 'SECRET_SCANNING=0', 'JWT_TOKEN_LIFETIME=3600', 'PASSWORD_HASH_ROUNDS=12', 'TOKEN_MAX_AGE=60']));
  });

  it('reports every secret-looking key of a service, not only the first', () => {
    const lines = errors(withEnv(`GITHUB_TOKEN: ${VALUE}, DB_PASS: ok, SESSION_SECRET: ${VALUE}`));
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['services.api.env.GITHUB_TOKEN:', 'services.api.env.SESSION_SECRET:']);
    expect(lines.join('\n')).not.toContain(VALUE);
  });

  it('a declared secret\'s name as a label, with a literal value, is refused as a literal secret (only env has the rule of its own)', () => {
    const files = { 'env.yaml': MINIMAL.replace('    uses: [db]', `    uses: [db]\n    labels: { JWT_SECRET: ${VALUE} }`) };
    expect(errors(files)).toEqual([
      'env.yaml:16:15 services.api.labels.JWT_SECRET: looks like a secret value in plain YAML (labels show in plans and `docker inspect`); declare a secret in the top-level `secrets:` list, pass its value as TF_VAR_<NAME> at deploy time and deliver it with this service\'s `secrets:` (or the *_FILE settings `uses:` wires)',
    ]);
  });

  it('a declared secret given a literal value is refused with its own message', () => {
    expect(errors(withEnv(`JWT_SECRET: ${VALUE}`))).toEqual([
      'env.yaml:16:12 services.api.env.JWT_SECRET: JWT_SECRET is a declared secret; list it under `secrets:` of this service instead of giving a value here',
    ]);
  });
});

describe('secretValueProblems: where a literal secret is looked for in a file', () => {
  const found = (config: unknown) => secretValueProblems(config).map((p) => [p.at.join('.'), p.certain]);

  it('an argument after a secret-named flag, in command, entrypoint and a healthcheck test only; a flag after the flag is no value', () => {
    expect(found({ command: ['app', '--password', 'hunter2'] })).toEqual([['command.2', true]]);
    expect(found({ entrypoint: ['app', '--token', 'hunter2'] })).toEqual([['entrypoint.2', true]]);
    expect(found({ healthcheck: { test: ['CMD', 'probe', '--api-key', 'hunter2'] } })).toEqual([['healthcheck.test.3', true]]);
    expect(found({ args: ['--password', 'hunter2'], command: ['app', '--password', '--stdin', '--token', 'x-'] })).toEqual([['command.4', true]]);
  });

  it('under env, labels and GitHub variables: a string or a number other than 0 and 1; blank values and references (padded too) are none', () => {
    expect(found({ env: { DB_PASSWORD: 123456, A_TOKEN: 0, B_TOKEN: 1, C_TOKEN: '   ', D_TOKEN: '  /run/secrets/D', E_TOKEN: ' ${E} ' } })).toEqual([['env.DB_PASSWORD', true]]);
    expect(found({ labels: { 'x.token': 'hunter2' }, variables: { DEPLOY_TOKEN: 'hunter2' }, other: { F_TOKEN: 'hunter2' } })).toEqual([['labels.x.token', true], ['variables.DEPLOY_TOKEN', true]]);
  });

  it('a value that settles the guess does so with the spaces around it trimmed', () => {
    expect(secretValueProblems({ env: { TOKEN_FOR_CI: '  a1b2c3d4e5f6g7h8i9j0  ' } }).map((p) => p.certain)).toEqual([true]);
  });

  it('names the secret to declare in upper case with underscores, and says where labels and variables show', () => {
    const [env] = secretValueProblems({ env: { 'db-password': 'hunter2' } });
    expect(env.message).toContain('declare DB_PASSWORD in the top-level `secrets:` list');
    const [label] = secretValueProblems({ labels: { 'x.token': 'hunter2' } });
    expect(label.message).toMatch(/^looks like a secret value in plain YAML \(labels show in plans and `docker inspect`\); declare a secret/);
  });

  it('walks any value: nulls and numbers pass, a password inside a URL in any string is found', () => {
    expect(found({ a: null, b: 5, c: 'postgres://app:hunter2@db/app', d: ['x', null, true] })).toEqual([['c', true]]);
  });
});
