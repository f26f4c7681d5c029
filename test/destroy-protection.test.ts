/**
 * Data volumes carry prevent_destroy, and STACKYARD_DESTROY_DATA=<environment> lifts it for that
 * environment only: every other environment synthesized in the same run stays protected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MINIMAL, synth } from './helpers';

const VARIABLE = 'STACKYARD_DESTROY_DATA';
const files = {
  'staging.yaml': MINIMAL.replace('name: test', 'name: staging'),
  'production.yaml': MINIMAL.replace('name: test', 'name: production'),
  'unprotected.yaml': MINIMAL.replace('name: test', 'name: unprotected\nprotectVolumes: false'),
};

/** prevent_destroy of every docker_volume in a stack, by logical id. */
function protection(stack: any): Record<string, boolean> {
  const volumes = stack.resource?.docker_volume ?? {};
  return Object.fromEntries(Object.entries(volumes).map(([id, v]: [string, any]) => [id, v.lifecycle?.prevent_destroy === true]));
}

describe('destroy protection of data volumes', () => {
  const saved = process.env[VARIABLE];
  afterEach(() => {
    if (saved === undefined) delete process.env[VARIABLE];
    else process.env[VARIABLE] = saved;
  });

  it('without STACKYARD_DESTROY_DATA, every data volume of every environment has prevent_destroy', () => {
    delete process.env[VARIABLE];
    const stacks = synth(files, ['staging.yaml', 'production.yaml']);
    for (const env of ['staging', 'production']) {
      const p = protection(stacks[env]);
      expect(Object.keys(p), `${env} has the database volume`).toContain('volume_db_data');
      expect(Object.values(p).every(Boolean), `${env}: ${JSON.stringify(p)}`).toBe(true);
    }
  });

  it('STACKYARD_DESTROY_DATA=staging lifts protection in staging only; production keeps it', () => {
    process.env[VARIABLE] = 'staging';
    const stacks = synth(files, ['staging.yaml', 'production.yaml']);
    expect(protection(stacks.staging)).toEqual({ volume_db_data: false });
    expect(protection(stacks.production)).toEqual({ volume_db_data: true });
  });

  it('STACKYARD_DESTROY_DATA naming no synthesized environment lifts nothing', () => {
    process.env[VARIABLE] = 'prod';
    const stacks = synth(files, ['staging.yaml', 'production.yaml']);
    expect(protection(stacks.staging)).toEqual({ volume_db_data: true });
    expect(protection(stacks.production)).toEqual({ volume_db_data: true });
  });

  it('an empty STACKYARD_DESTROY_DATA lifts nothing', () => {
    process.env[VARIABLE] = '';
    const stacks = synth(files, ['staging.yaml']);
    expect(protection(stacks.staging)).toEqual({ volume_db_data: true });
  });

  it('protectVolumes: false leaves the volumes unprotected, with or without the variable', () => {
    delete process.env[VARIABLE];
    expect(protection(synth(files, ['unprotected.yaml']).unprotected)).toEqual({ volume_db_data: false });
    process.env[VARIABLE] = 'staging';
    expect(protection(synth(files, ['unprotected.yaml']).unprotected)).toEqual({ volume_db_data: false });
  });
});
