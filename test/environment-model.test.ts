/**
 * The environment model's own decisions (lib/environment.ts), on models built from code: what an
 * environment is when nothing says otherwise (volumes protected, state encrypted, Docker), its
 * secrets, the state passphrase's reserved name, and the port sequence worker pools share.
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../lib/environment';

const host = { name: 'main', docker: 'unix:///var/run/docker.sock', sshOptions: [] };

describe('the environment model', () => {
  it('unless told: not production, Docker, volumes protected, local encrypted state, no registries', () => {
    const e = new Environment({ name: 'e', hosts: [host] });
    expect([e.production, e.platform, e.protectVolumes, e.stateEncrypted, e.registries, e.repositorySecretsElsewhere]).toEqual([false, 'docker', true, true, [], []]);
    expect(e.state).toEqual({ backend: 'local', encryption: true });
    // a state given without the switch (a model from code) is encrypted too: only false turns it off
    expect(new Environment({ name: 'e', hosts: [host], state: { backend: 'local' } as never }).stateEncrypted).toBe(true);
    expect(e.secretNames).toEqual([]);
    expect(e.recordsSecretVersions).toBe(false);
    expect(e.validated).toBe(false);
  });

  it('secrets: each once, sorted; hasSecret only for a declared one', () => {
    const e = new Environment({ name: 'e', hosts: [host], secrets: ['B', 'A', 'B'] });
    expect(e.secretNames).toEqual(['A', 'B']);
    expect([e.hasSecret('A'), e.hasSecret('C')]).toEqual([true, false]);
  });

  it('STATE_PASSPHRASE is stackyard\'s own while state is encrypted: a problem where it is declared, and no variable of its own', () => {
    const e = new Environment({ name: 'e', hosts: [host], secrets: ['STATE_PASSPHRASE', 'A'] });
    expect(e.secretNames).toEqual(['A']);
    expect(e.hasSecret('STATE_PASSPHRASE')).toBe(false);
    expect(e.wiringProblems).toEqual([{ file: 'construct e', line: 0, col: 0, path: 'secrets', message: 'STATE_PASSPHRASE is the state passphrase stackyard declares itself; pick another secret name' }]);
    const located = new Environment({ name: 'e', hosts: [host], secrets: ['STATE_PASSPHRASE'], origin: { locate: (p) => ({ file: 'e.yaml', line: 4, col: 10, path: p }) } });
    expect(located.wiringProblems.map((p) => `${p.file}:${p.line}:${p.col} ${p.path}`)).toEqual(['e.yaml:4:10 secrets']);
    // without encryption it is an ordinary name
    const plain = new Environment({ name: 'e', hosts: [host], secrets: ['STATE_PASSPHRASE'], state: { backend: 'local', encryption: false } });
    expect([plain.secretNames, plain.wiringProblems, plain.stateEncrypted]).toEqual([['STATE_PASSPHRASE'], [], false]);
  });

  it('secret versions are recorded only on Docker, with encrypted state and at least one secret', () => {
    const v = (p: Partial<ConstructorParameters<typeof Environment>[0]>) => new Environment({ name: 'e', hosts: [host], ...p }).recordsSecretVersions;
    expect(v({ secrets: ['A'] })).toBe(true);
    expect(v({ secrets: [] })).toBe(false);
    expect(v({ secrets: ['A'], state: { backend: 'local', encryption: false } })).toBe(false);
    expect(v({ secrets: ['A'], platform: 'kubernetes' })).toBe(false);
  });

  it('ports in sequence per host across callers, never below the caller\'s base; hosts apart', () => {
    const e = new Environment({ name: 'e', hosts: [host, { ...host, name: 'b' }] });
    expect(e.allocatePorts('main', 5003, 2)).toBe(5003);
    expect(e.allocatePorts('main', 5003, 1)).toBe(5005);
    expect(e.allocatePorts('main', 6000, 1)).toBe(6000);
    expect(e.allocatePorts('main', 5003, 1)).toBe(6001);
    expect(e.allocatePorts('b', 5003, 1)).toBe(5003);
  });
});
