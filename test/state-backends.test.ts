import { describe, expect, it } from 'vitest';
import { MINIMAL, synth } from './helpers';

describe('state backends', () => {
  it('pg takes its connection string from PG_CONN_STR at deploy time, one schema per environment', () => {
    const s = synth({ 'env.yaml': MINIMAL.replace('name: test', 'name: test\nstate: { backend: pg }') }).test;
    expect(s.terraform.backend).toEqual({ pg: { schema_name: 'stackyard_test' } });
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
