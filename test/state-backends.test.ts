import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { buildApp } from '../lib/app';
import { MINIMAL, synth, writeFiles } from './helpers';

describe('state backends', () => {
  it('pg takes its connection string from PG_CONN_STR at deploy time, one schema per environment', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: pg }') }).test;
    expect(s.terraform.backend).toEqual({ pg: { schema_name: 'stackyard_test' } });
  });

  it('pg: a schema given is used as it is; the default turns the name\'s hyphens into underscores', () => {
    expect(synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: pg, schema: tf_platform }') }).test.terraform.backend).toEqual({ pg: { schema_name: 'tf_platform' } });
    expect(synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: eu-prod-1\nstate: { backend: pg }') })['eu-prod-1'].terraform.backend).toEqual({ pg: { schema_name: 'stackyard_eu_prod_1' } });
  });

  it('s3: a key given replaces the per-environment default', () => {
    expect(synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: s3, bucket: b, region: r, key: platform/state.tfstate }') }).test.terraform.backend.s3.key).toBe('platform/state.tfstate');
  });

  it('s3 keeps credentials out of the file (AWS_* at deploy time) and keys state by environment', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: s3, bucket: tf-state, region: eu-west-1, endpoint: "https://minio.internal:9000" }') }).test;
    expect(s.terraform.backend.s3).toEqual({
      bucket: 'tf-state', region: 'eu-west-1', key: 'stackyard/test.tfstate', endpoints: { s3: 'https://minio.internal:9000' }, use_path_style: true,
      encrypt: true, use_lockfile: true,
    });
  });

  it('s3 encrypts the object server-side and locks with a lock file by default; a KMS key and both switches are settable', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: s3, bucket: b, region: r, kmsKeyId: "arn:aws:kms:eu-west-1:1:key/abc", encrypt: true, useLockfile: true }') }).test;
    expect(s.terraform.backend.s3).toMatchObject({ encrypt: true, kms_key_id: 'arn:aws:kms:eu-west-1:1:key/abc', use_lockfile: true });
    const off = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: s3, bucket: b, region: r, encrypt: false, useLockfile: false }') }).test;
    expect(off.terraform.backend.s3.encrypt).toBe(false);
    expect(off.terraform.backend.s3.use_lockfile).toBeUndefined();
  });

  it('tcp:// hosts use the TLS material folder; ssh:// hosts their ssh options', () => {
    const s = synth({
      'env.yaml': MINIMAL.replace('  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }', '  main: { docker: "tcp://docker.internal:2376", tlsCertPath: /etc/stackyard/tls }'),
    }).test;
    expect(s.provider.docker).toEqual([{ alias: 'main', host: 'tcp://docker.internal:2376', cert_path: '/etc/stackyard/tls' }]);
  });
});

describe('the stack\'s variables and metadata', () => {
  it('every declared secret is a sensitive, non-null string variable; nothing else about it is in the file', () => {
    const s = synth({ 'env.yaml': MINIMAL }).test;
    expect(s.variable.JWT_SECRET).toEqual({ type: 'string', sensitive: true, nullable: false, description: 'Secret JWT_SECRET; give it at deploy time as TF_VAR_JWT_SECRET.' });
  });

  it('the metadata the deploy reads: environment, production, backend, GitHub, and the passphrase variable only when state is encrypted', () => {
    expect(synth({ 'env.yaml': MINIMAL }).test['//'].stackyard).toEqual({ environment: 'test', production: false, stateBackend: 'local', github: false, statePassphraseVariable: 'STATE_PASSPHRASE' });
    const plain = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: local, encryption: false }\ngithub: { owner: acme, repository: platform }') }).test['//'].stackyard;
    expect(plain).toEqual({ environment: 'test', production: false, stateBackend: 'local', github: true });
  });

  it('the release tag variable: the file\'s tag as default, and a validation that takes exactly Docker\'s tags', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nrelease: { tag: r3, images: [ghcr.io/acme/api] }').replace('    tag: "1.0"\n', '') }).test;
    expect(s.variable.RELEASE_TAG.default).toBe('r3');
    expect(synth({ 'env.yaml': MINIMAL }).test.variable.RELEASE_TAG).toBeUndefined();
    // the condition's regex, as OpenTofu's (RE2) reads it, has the same meaning in JavaScript
    const [condition] = s.variable.RELEASE_TAG.validation.map((v: { condition: string }) => v.condition);
    const re = new RegExp(JSON.parse(/regex\(("(?:[^"\\]|\\.)*")/.exec(condition)![1]));
    expect(condition).toContain('var.RELEASE_TAG');
    for (const ok of ['r3', 'sha-1234567', '_x', 'v1.2.3', 'a'.repeat(128)]) expect(re.test(ok), ok).toBe(true);
    for (const bad of ['', '-x', '.x', 'a'.repeat(129), 'a b', 'x:y', 'ä']) expect(re.test(bad), bad).toBe(false);
  });

  it('a secret\'s version address only for a declared secret, and only when versions are recorded', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL });
    const [stack] = buildApp([path.join(dir, 'env.yaml')], path.join(dir, 'out')).stacks;
    expect(stack.secretVersionAddress('JWT_SECRET')).toBe('terraform_data.secret_version_JWT_SECRET');
    expect(stack.secretVersionAddress('UNDECLARED')).toBeUndefined();
  });
});
