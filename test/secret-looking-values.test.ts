/**
 * A literal value under an env key that names a secret (…PASSWORD, …PASSWD, …SECRET, …TOKEN,
 * …API_KEY, …PRIVATE_KEY, …ACCESS_KEY) is refused at synth, positioned on the key and without
 * echoing the value; file paths, empty values and ordinary keys pass.
 */
import { describe, expect, it } from 'vitest';
import { errors, MINIMAL, synth } from './helpers';

const VALUE = 'canary-typed-value-5e8a';
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

  it('refuses the word anywhere in the key (TOKEN alone, a prefix, a suffix)', () => {
    for (const key of ['TOKEN', 'TOKEN_FOR_CI', 'MY_TOKEN']) expect(errors(withEnv(`${key}: ${VALUE}`)), key).toEqual([refusal(key)]);
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

  it('a declared secret given a literal value is refused with its own message', () => {
    expect(errors(withEnv(`JWT_SECRET: ${VALUE}`))).toEqual([
      'env.yaml:16:12 services.api.env.JWT_SECRET: JWT_SECRET is a declared secret; list it under `secrets:` of this service instead of giving a value here',
    ]);
  });
});
