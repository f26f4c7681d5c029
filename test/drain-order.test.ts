/**
 * The drain-order check (lib/deploy/drain-order.ts) on real OpenTofu events
 * (test/fixtures/progress/, recorded deploys of the e2e topology): the backend tag change removed
 * both old replicas after its drain gate; the same events with one removal moved earlier, or a
 * gate that never came, are reported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatedRemovals, parseEvents, removalsBeforeDrain, runsOf } from '../lib/deploy/drain-order';
import type { EngineEvent } from '../lib/deploy/progress';

const fixture = (name: string) => parseEvents(fs.readFileSync(path.join(__dirname, 'fixtures', 'progress', name), 'utf8'));
const isDeleteStart = (addr: string) => (e: EngineEvent) => e.type === 'apply_start' && e.hook?.action === 'delete' && e.hook?.resource?.addr === addr;
const isGateDone = (e: EngineEvent) => e.type === 'apply_complete' && e.hook?.action === 'create' && e.hook?.resource?.addr === 'terraform_data.drain_backend';

describe('old replicas wait for the drain gate', () => {
  const update = fixture('update.jsonl');
  const runs = runsOf(update);

  it('splits a log into its runs (phase 1, then the apply)', () => {
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r[0].type === 'version')).toBe(true);
  });

  it('a tag change of the 2-replica backend removed both old replicas after the gate', () => {
    const apply = runs[1];
    expect(gatedRemovals(apply)).toEqual(new Map([['backend', 2]]));
    expect(removalsBeforeDrain(apply)).toEqual([]);
    expect(removalsBeforeDrain(runs[0])).toEqual([]);
  });

  it('reports a removal that began before the gate was created', () => {
    const gate = runs[1].find(isGateDone)!;
    const moved = runs[1].map((e) => (isDeleteStart('docker_container.svc_backend_1')(e) ? { ...e, '@timestamp': '2026-11-30T06:55:40.000000Z' } : e));
    expect(removalsBeforeDrain(moved)).toEqual([
      `docker_container.svc_backend_1 removed at 2026-11-30T06:55:40.000000Z, its drain gate created at ${gate['@timestamp']}`,
    ]);
  });

  it('reports a removal when the gate was planned but never created', () => {
    const without = runs[1].filter((e) => !isGateDone(e));
    expect(removalsBeforeDrain(without).map((l) => l.replace(/ at [^,]+/, ''))).toEqual([
      'docker_container.svc_backend_2 removed, its drain gate never created',
      'docker_container.svc_backend_1 removed, its drain gate never created',
    ]);
  });

  it('a service without a gate in the run (stop-first, drainSeconds: 0) is not looked at', () => {
    const noGate = runs[1].filter((e) => !(e.type === 'planned_change' && e.change?.resource?.addr === 'terraform_data.drain_backend'));
    expect(gatedRemovals(noGate)).toEqual(new Map());
    expect(removalsBeforeDrain(noGate.filter((e) => !isGateDone(e)))).toEqual([]);
  });

  it('a failed update removed nothing', () => {
    for (const r of runsOf(fixture('unhealthy.jsonl'))) {
      expect(removalsBeforeDrain(r)).toEqual([]);
      expect(gatedRemovals(r)).toEqual(new Map());
    }
  });

  it('skips lines that are not events', () => {
    expect(parseEvents('not json\n{"type":"version"}\n\n[1]\n{"no":"type"}\n')).toEqual([{ type: 'version' }]);
  });
});
