/**
 * The deploy's secrets step (deploySecrets, lib/deploy/steps.ts) on a real synthesized stack: the
 * values it generates land in a private secrets file (mode 600 before any value is in it, an older
 * file made private too), a first file holds those values and nothing else, no file is written
 * when every value is given; a deploy records a keyed version of each value it deploys (where the
 * stack records versions at all), a destroy's placeholder run none of its dummy values.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STATE_PASSPHRASE_VARIABLE } from '../lib/deploy/encryption';
import { SECRET_VERSIONS_VARIABLE, unrecorded } from '../lib/deploy/secret-versions';
import { deploySecrets, needsMigration } from '../lib/deploy/steps';
import { MINIMAL, synthesizedCheckout } from './helpers';

const checkout = (env = MINIMAL) => synthesizedCheckout(env);

const saved = { ...process.env };
beforeEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('TF_VAR_')) delete process.env[k];
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('the deploy\'s secrets step', () => {
  it('generated values go to a secrets file of mode 600; an older, wider file is made private before a value is added', () => {
    const { root, dir } = checkout();
    const file = path.join(root, '.stackyard', 'secrets', 'test.env');
    const vars = deploySecrets(root, dir, 'generate');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toContain(`TF_VAR_DB_PASSWORD=${vars.get('TF_VAR_DB_PASSWORD')}`);
    // a file left readable by others, lacking one value: private again when the value is added
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith('TF_VAR_JWT_SECRET=')).join('\n'));
    fs.chmodSync(file, 0o644);
    deploySecrets(root, dir, 'generate');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^TF_VAR_JWT_SECRET=/m);
  });

  it('a first deploy\'s secrets file holds the generated values and nothing else; with every value given, no file is written', () => {
    const { root, dir } = checkout();
    const file = path.join(root, '.stackyard', 'secrets', 'test.env');
    const vars = deploySecrets(root, dir, 'generate');
    const names = ['TF_VAR_DB_PASSWORD', 'TF_VAR_JWT_SECRET', `TF_VAR_${STATE_PASSPHRASE_VARIABLE}`];
    const text = fs.readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1).split('\n').sort()).toEqual(names.map((n) => `${n}=${vars.get(n)}`));
    const given = checkout();
    for (const n of names) process.env[n] = `given-${n}`;
    deploySecrets(given.root, given.dir, 'generate');
    expect(fs.existsSync(path.join(given.root, '.stackyard', 'secrets'))).toBe(false);
  });

  it('a deploy records a version of each value it deploys, which changes with the value; a stack that records no versions gets none', () => {
    const { root, dir } = checkout();
    const versions = () => JSON.parse(deploySecrets(root, dir, 'generate').get(`TF_VAR_${SECRET_VERSIONS_VARIABLE}`)!);
    process.env[`TF_VAR_${STATE_PASSPHRASE_VARIABLE}`] = 'a passphrase of some length';
    process.env.TF_VAR_JWT_SECRET = 'jwt';
    process.env.TF_VAR_DB_PASSWORD = 'one';
    const first = versions();
    expect(Object.keys(first)).toEqual(['DB_PASSWORD', 'JWT_SECRET']);
    expect(first.DB_PASSWORD).not.toBe(unrecorded('DB_PASSWORD'));
    expect(versions()).toEqual(first);
    process.env.TF_VAR_DB_PASSWORD = 'two';
    const second = versions();
    expect(second.DB_PASSWORD).not.toBe(first.DB_PASSWORD);
    expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
    const off = checkout(MINIMAL.replace('name: test', 'name: test\nstate: { backend: local, encryption: false }'));
    expect(deploySecrets(off.root, off.dir, 'generate').has(`TF_VAR_${SECRET_VERSIONS_VARIABLE}`)).toBe(false);
  });

  it('a destroy (placeholder values) records no version of its dummies: each secret\'s version is the unrecorded placeholder', () => {
    const { root, dir } = checkout();
    deploySecrets(root, dir, 'generate'); // the passphrase a destroy still needs
    const vars = deploySecrets(root, dir, 'placeholder');
    expect(JSON.parse(vars.get('TF_VAR_STACKYARD_SECRET_VERSIONS')!)).toEqual({ DB_PASSWORD: unrecorded('DB_PASSWORD'), JWT_SECRET: unrecorded('JWT_SECRET') });
  });

  it('a state in clear is encrypted by this deploy only where it can be read: the local state file; elsewhere when asked; never with encryption off', () => {
    const plain = JSON.stringify({ version: 4, lineage: 'l', resources: [] });
    const local = checkout();
    const stateFile = path.join(local.root, '.stackyard', 'state', 'test.tfstate');
    expect(needsMigration(local.root, local.dir, false)).toBe(false); // no state yet
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(stateFile, plain);
    expect(needsMigration(local.root, local.dir, false)).toBe(true);
    fs.writeFileSync(stateFile, JSON.stringify({ encrypted_data: 'x', meta: {} }));
    expect(needsMigration(local.root, local.dir, false)).toBe(false);
    // a remote state cannot be read here: migrated when asked only, even beside a plain local file
    const remote = checkout(MINIMAL.replace('name: test', 'name: test\nstate: { backend: pg }'));
    fs.mkdirSync(path.join(remote.root, '.stackyard', 'state'), { recursive: true });
    fs.writeFileSync(path.join(remote.root, '.stackyard', 'state', 'test.tfstate'), plain);
    expect(needsMigration(remote.root, remote.dir, false)).toBe(false);
    expect(needsMigration(remote.root, remote.dir, true)).toBe(true);
    // encryption off: asked or not, nothing to migrate to, and the flag is said to be ignored
    const said = vi.mocked(process.stderr.write);
    const off = checkout(MINIMAL.replace('name: test', 'name: test\nstate: { backend: local, encryption: false }'));
    fs.mkdirSync(path.join(off.root, '.stackyard', 'state'), { recursive: true });
    fs.writeFileSync(path.join(off.root, '.stackyard', 'state', 'test.tfstate'), plain);
    said.mockClear();
    expect(needsMigration(off.root, off.dir, false)).toBe(false);
    expect(said).not.toHaveBeenCalled();
    expect(needsMigration(off.root, off.dir, true)).toBe(false);
    expect(said.mock.calls.map((c) => String(c[0]))).toEqual(['stackyard: --migrate-state ignored: test has state encryption turned off (state.encryption: false)\n']);
  });
});
