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
import { shared } from './helpers';

const fixture = (name: string) => parseEvents(fs.readFileSync(path.join(__dirname, 'fixtures', 'progress', name), 'utf8'));
const isDeleteStart = (addr: string) => (e: EngineEvent) => e.type === 'apply_start' && e.hook?.action === 'delete' && e.hook?.resource?.addr === addr;
const isGateDone = (e: EngineEvent) => e.type === 'apply_complete' && e.hook?.action === 'create' && e.hook?.resource?.addr === 'terraform_data.drain_backend';

describe('old replicas wait for the drain gate', () => {
  // read inside each test that uses them (see `shared`), so runsOf counts as covered by it
  const runs = shared(() => runsOf(fixture('update.jsonl')));

  it('splits a log into its runs (phase 1, then the apply)', () => {
    expect(runs()).toHaveLength(2);
    expect(runs().every((r) => r[0].type === 'version')).toBe(true);
  });

  it('a tag change of the 2-replica backend removed both old replicas after the gate', () => {
    const apply = runs()[1];
    expect(gatedRemovals(apply)).toEqual(new Map([['backend', 2]]));
    expect(removalsBeforeDrain(apply)).toEqual([]);
    expect(removalsBeforeDrain(runs()[0])).toEqual([]);
  });

  it('reports a removal that began before the gate was created', () => {
    const gate = runs()[1].find(isGateDone)!;
    const moved = runs()[1].map((e) => (isDeleteStart('docker_container.svc_backend_1')(e) ? { ...e, '@timestamp': '2026-11-30T06:55:40.000000Z' } : e));
    expect(removalsBeforeDrain(moved)).toEqual([
      `docker_container.svc_backend_1 removed at 2026-11-30T06:55:40.000000Z, its drain gate created at ${gate['@timestamp']}`,
    ]);
  });

  it('reports a removal when the gate was planned but never created', () => {
    const without = runs()[1].filter((e) => !isGateDone(e));
    expect(removalsBeforeDrain(without).map((l) => l.replace(/ at [^,]+/, ''))).toEqual([
      'docker_container.svc_backend_2 removed, its drain gate never created',
      'docker_container.svc_backend_1 removed, its drain gate never created',
    ]);
  });

  it('a service without a gate in the run (stop-first, drainSeconds: 0) is not looked at', () => {
    const noGate = runs()[1].filter((e) => !(e.type === 'planned_change' && e.change?.resource?.addr === 'terraform_data.drain_backend'));
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

describe('the drain check on hand-made events, rule by rule', () => {
  const at = (s: number) => `2026-11-30T07:00:${String(s).padStart(2, '0')}.000000Z`;
  const planned = (addr: string, action: string): EngineEvent => ({ type: 'planned_change', change: { action, resource: { addr } } } as EngineEvent);
  const hook = (type: string, action: string, addr: string, t: number): EngineEvent => ({ type, '@timestamp': at(t), hook: { action, resource: { addr } } } as EngineEvent);

  it('runs: events before the first version are a run of their own; each version begins the next', () => {
    const v = { type: 'version' } as EngineEvent;
    const x = { type: 'log' } as EngineEvent;
    expect(runsOf([x, v, x, x, v])).toEqual([[x], [v, x, x], [v]]);
    expect(runsOf([])).toEqual([]);
  });

  it('a gate created or replaced by the run makes its service looked at; one updated or deleted does not', () => {
    const removal = hook('apply_start', 'delete', 'docker_container.svc_api_1', 5);
    for (const action of ['create', 'replace']) {
      expect(removalsBeforeDrain([planned('terraform_data.drain_api', action), removal]), action).toEqual([`docker_container.svc_api_1 removed at ${at(5)}, its drain gate never created`]);
    }
    for (const action of ['update', 'delete']) expect(removalsBeforeDrain([planned('terraform_data.drain_api', action), removal]), action).toEqual([]);
    // a planned container is not a gate
    expect(removalsBeforeDrain([planned('docker_container.svc_api_1', 'create'), removal])).toEqual([]);
  });

  it('a removal at the very moment the gate is created waited for it; one a second before did not', () => {
    const events = (removedAt: number) => [
      planned('terraform_data.drain_api', 'create'),
      hook('apply_complete', 'create', 'terraform_data.drain_api', 5),
      hook('apply_start', 'delete', 'docker_container.svc_api_1', removedAt),
    ];
    expect(removalsBeforeDrain(events(5))).toEqual([]);
    expect(removalsBeforeDrain(events(4))).toEqual([`docker_container.svc_api_1 removed at ${at(4)}, its drain gate created at ${at(5)}`]);
    // only the gate's creation counts: its start, or another service's gate, does not
    expect(removalsBeforeDrain([planned('terraform_data.drain_api', 'create'), hook('apply_start', 'create', 'terraform_data.drain_api', 1), hook('apply_complete', 'create', 'terraform_data.drain_web', 1), hook('apply_start', 'delete', 'docker_container.svc_api_1', 4)])).toEqual([`docker_container.svc_api_1 removed at ${at(4)}, its drain gate never created`]);
  });

  it('counts the removals of gated services only: deletions, not creations or other resources', () => {
    const run = [
      planned('terraform_data.drain_api', 'replace'),
      hook('apply_start', 'delete', 'docker_container.svc_api_1', 1),
      hook('apply_start', 'delete', 'docker_container.svc_api_2', 1),
      hook('apply_complete', 'delete', 'docker_container.svc_api_2', 2),
      hook('apply_start', 'create', 'docker_container.svc_api_3', 1),
      hook('apply_start', 'delete', 'docker_container.svc_db_1', 1),
      hook('apply_start', 'delete', 'docker_volume.api_data', 1),
    ];
    expect(gatedRemovals(run)).toEqual(new Map([['api', 2]]));
  });

  it('events without a hook, resource, change or time (tofu leaves them out on some types) are read, not thrown on', () => {
    const bare = [
      { type: 'apply_complete' }, { type: 'apply_complete', hook: {} }, { type: 'apply_complete', hook: { action: 'create' } },
      { type: 'apply_start' }, { type: 'apply_start', hook: { action: 'delete' } },
      { type: 'planned_change' }, { type: 'planned_change', change: {} }, { type: 'planned_change', change: { action: 'create' } },
    ] as EngineEvent[];
    expect(removalsBeforeDrain(bare)).toEqual([]);
    expect(gatedRemovals(bare)).toEqual(new Map());
    // a removal without a time, whose gate never came, is still reported (with no time)
    const untimed = { type: 'apply_start', hook: { action: 'delete', resource: { addr: 'docker_container.svc_api_1' } } } as EngineEvent;
    expect(removalsBeforeDrain([planned('terraform_data.drain_api', 'create'), ...bare, untimed])).toEqual(['docker_container.svc_api_1 removed at , its drain gate never created']);
    expect(gatedRemovals([planned('terraform_data.drain_api', 'create'), ...bare, untimed])).toEqual(new Map([['api', 1]]));
  });

  it('only a planned_change plans a gate: another event that carries a change does not', () => {
    const drift = { type: 'resource_drift', change: { action: 'create', resource: { addr: 'terraform_data.drain_api' } } } as EngineEvent;
    const removal = hook('apply_start', 'delete', 'docker_container.svc_api_1', 5);
    expect(removalsBeforeDrain([drift, removal])).toEqual([]);
    expect(gatedRemovals([drift, removal])).toEqual(new Map());
  });
});
