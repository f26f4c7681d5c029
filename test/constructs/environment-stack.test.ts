import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { SingletonService } from '../../constructs/singleton-service';
import { dockerStack } from './harness';

describe('EnvironmentStack', () => {
  it('keeps local state per environment under a git-ignored folder, by a relative path', () => {
    const { json } = dockerStack(() => undefined);
    expect(json.terraform.backend).toEqual({ local: { path: '../../../.stackyard/state/unit.tfstate' } });
  });

  it('turns every declared secret into a sensitive, non-nullable variable and nothing else', () => {
    const { json } = dockerStack(() => undefined, { secrets: ['B_TOKEN', 'A_KEY'] });
    // the state encryption passphrase, and the secrets' versions (keyed hashes, lib/deploy/secret-versions.ts)
    expect(Object.keys(json.variable)).toEqual(['A_KEY', 'B_TOKEN', 'STACKYARD_SECRET_VERSIONS', 'STATE_PASSPHRASE']);
    expect(json.variable.A_KEY).toEqual({ type: 'string', sensitive: true, nullable: false, description: 'Secret A_KEY; give it at deploy time as TF_VAR_A_KEY.' });
    expect(json.variable.A_KEY.default).toBeUndefined();
  });

  it('fails cdktf synthesis of a stack built from code when an invariant is broken', () => {
    const { stack } = dockerStack((s) => new SingletonService(s, 'o', { host: 'main', image: 'x/o:1', replicas: 2 }));
    expect(() => Testing.synth(stack, true)).toThrow(/o is a singleton and must run exactly 1 replica/);
  });
});
