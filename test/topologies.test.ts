/**
 * Topologies for the plan comment's picture (lib/plan/topologies.ts), in process: one per
 * environment asked for, from the folder's files; a file that does not load, or a name no file
 * has, gives none, and the comment is never refused for it.
 */
import { describe, expect, it } from 'vitest';
import { topology } from '../lib/ops/graph';
import { loadEnvironments } from '../lib/environments';
import { topologiesFrom } from '../lib/plan/topologies';
import { MINIMAL, writeFiles } from './helpers';

describe('topologies for the plan picture', () => {
  it('one per name asked for, each that environment\'s; a name asked twice once', () => {
    const dir = writeFiles({ 'test.yaml': MINIMAL, 'other.yaml': MINIMAL.replace('name: test', 'name: other') });
    const t = topologiesFrom(dir, ['other', 'test', 'other']);
    expect([...t.keys()]).toEqual(['other', 'test']);
    expect(t.get('test')).toEqual(topology(loadEnvironments(dir, ['test'])[0]));
    expect(t.get('test')?.environment).toBe('test');
    expect(t.get('other')?.environment).toBe('other');
    expect(t.get('test')?.hosts.length).toBeGreaterThan(0);
  });

  it('a name without a file: no topology, no error', () => {
    const t = topologiesFrom(writeFiles({ 'test.yaml': MINIMAL }), ['missing', 'test']);
    expect(t.has('missing')).toBe(true);
    expect(t.get('missing')).toBeUndefined();
    expect(t.get('test')?.environment).toBe('test');
  });

  it('a file that does not load: no topology, no error (the folder loads as a whole, so none for the others either)', () => {
    const t = topologiesFrom(writeFiles({ 'test.yaml': MINIMAL, 'broken.yaml': 'name: broken\nservices: [not, a, map]\n' }), ['broken', 'test']);
    expect([...t.entries()]).toEqual([['broken', undefined], ['test', undefined]]);
  });
});
