/**
 * Whether an apply removed the old replicas of a start-first service only after its drain gate
 * (`terraform_data.drain_<service>`, lib/docker/render.ts) was created, read from OpenTofu's
 * machine-readable events (`-json`, as `STACKYARD_ENGINE_LOG` records them). Under
 * create_before_destroy Terraform destroys the old containers after everything that depends on
 * the new ones, the gate included; that holds for an old replica a failed update left *deposed*
 * too (the next deploy removes it with the replaced ones). bench:rolling and the end-to-end suite
 * check it on the real engine with this function.
 */

import { parseEvent, type EngineEvent } from './progress';

const CONTAINER = /^docker_container\.svc_(.+)_(\d+)$/;
const GATE = /^terraform_data\.drain_(.+)$/;

/** Events of a log that holds several runs (a deploy's phases, several deploys), split per run (each begins with its `version` event). */
export function runsOf(events: readonly EngineEvent[]): EngineEvent[][] {
  const runs: EngineEvent[][] = [];
  for (const e of events) {
    if (e.type === 'version' || !runs.length) runs.push([]);
    runs[runs.length - 1].push(e);
  }
  return runs;
}

/** The events of a log (STACKYARD_ENGINE_LOG: JSON lines), skipping what is not one. */
export function parseEvents(text: string): EngineEvent[] {
  return text.split('\n').map(parseEvent).filter((e): e is EngineEvent => e !== undefined);
}

/**
 * The removals in one run that began before the drain gate of their service was created, as
 * `<container address> removed at <time>, its drain gate <created at <time> | never created>`;
 * [] when every removal waited. A service whose gate this run does not plan (stop-first, or
 * `drainSeconds: 0`) has nothing to wait for and is not looked at.
 */
export function removalsBeforeDrain(run: readonly EngineEvent[]): string[] {
  const gated = gatedServices(run);
  const gateCreated = new Map<string, string>();
  for (const e of run) {
    const done = e.type === 'apply_complete' && e.hook?.action === 'create' ? GATE.exec(e.hook?.resource?.addr ?? '') : null;
    if (done && !gateCreated.has(done[1])) gateCreated.set(done[1], e['@timestamp'] ?? '');
  }
  const early: string[] = [];
  for (const e of run) {
    if (e.type !== 'apply_start' || e.hook?.action !== 'delete') continue;
    const addr = e.hook?.resource?.addr ?? '';
    const m = CONTAINER.exec(addr);
    if (!m || !gated.has(m[1])) continue;
    const at = e['@timestamp'] ?? '';
    const gate = gateCreated.get(m[1]);
    if (gate === undefined || Date.parse(at) < Date.parse(gate)) early.push(`${addr} removed at ${at}, its drain gate ${gate === undefined ? 'never created' : `created at ${gate}`}`);
  }
  return early;
}

/** Services (as in resource names) whose drain gate a run creates: their old replicas must wait for it. */
function gatedServices(run: readonly EngineEvent[]): Set<string> {
  const out = new Set<string>();
  for (const e of run) {
    const m = e.type === 'planned_change' && (e.change?.action === 'create' || e.change?.action === 'replace') ? GATE.exec(e.change?.resource?.addr ?? '') : null;
    if (m) out.add(m[1]);
  }
  return out;
}

/** How many old containers a run removed, per service whose drain gate that run creates. */
export function gatedRemovals(run: readonly EngineEvent[]): Map<string, number> {
  const gated = gatedServices(run);
  const out = new Map<string, number>();
  for (const e of run) {
    const m = e.type === 'apply_start' && e.hook?.action === 'delete' ? CONTAINER.exec(e.hook?.resource?.addr ?? '') : null;
    if (m && gated.has(m[1])) out.set(m[1], (out.get(m[1]) ?? 0) + 1);
  }
  return out;
}
