/**
 * Which container labels mean stateful data (lib/registry.ts isStatefulKind), as the plan
 * summary and the synth diff ask it for their data-loss caution.
 */
import { describe, expect, it } from 'vitest';
import { isStatefulKind } from '../lib/registry';

describe('stateful kinds', () => {
  it('the kinds that keep data are stateful; the others, an unknown label and no label are not', () => {
    for (const k of ['postgres', 'redis', 'prometheus', 'grafana', 'nfs-server']) expect(isStatefulKind(k), k).toBe(true);
    for (const k of ['web', 'service', 'job', 'traefik', 'celery-worker']) expect(isStatefulKind(k), k).toBe(false);
    expect(isStatefulKind('no-such-kind')).toBe(false);
    expect(isStatefulKind(undefined)).toBe(false);
    expect(isStatefulKind('')).toBe(false);
  });
});
