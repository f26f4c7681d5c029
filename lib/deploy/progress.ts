/**
 * Progress of a long engine run (`stackyard deploy`, `rollback`, `down`): OpenTofu's
 * machine-readable UI (`apply -json`: planned_change, apply_start, apply_progress,
 * apply_complete, apply_errored, diagnostic, change_summary events, one JSON object a line) folded
 * into a table of what happens to each service replica on each host (pending → creating →
 * healthy / running / completed, or failed, with elapsed time), and rendered two ways:
 *
 * - `lines`: plain timestamped lines, for CI and pipes (one line per started, still running,
 *   finished or failed resource; every diagnostic in full);
 * - `table`: the live view a terminal redraws in place, bounded to the terminal's size.
 *
 * Resource addresses become services, replicas and hosts through the synthesized stack (the
 * container's `stackyard.*` labels, the provider alias of other resources). Everything here is a
 * pure function of events, the stack and the clock; lib/deploy/run.ts does the I/O.
 */
import { dockerHosts, type StackJson, type StateJson } from './stack-json';

/** The parts of a `tofu -json` event this reads (OpenTofu UI format 1.x). */
export interface EngineEvent {
  readonly type: string;
  readonly '@message'?: string;
  readonly '@timestamp'?: string;
  readonly '@level'?: string;
  readonly hook?: { readonly resource?: EventResource; readonly action?: string; readonly elapsed_seconds?: number; readonly id_value?: string };
  readonly change?: { readonly resource?: EventResource; readonly action?: string };
  readonly diagnostic?: { readonly severity?: string; readonly summary?: string; readonly detail?: string; readonly address?: string };
  readonly changes?: { readonly add?: number; readonly change?: number; readonly remove?: number; readonly operation?: string };
}

interface EventResource {
  readonly addr?: string;
  readonly resource_type?: string;
}

/** One line of engine output as an event; undefined for anything that is not one (stderr, a plain line). */
export function parseEvent(line: string): EngineEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const e = JSON.parse(line) as EngineEvent;
    return e && typeof e === 'object' && typeof e.type === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** The human text of an event, as the engine's plain output says it: what error matching and tails read. */
export function eventText(e: EngineEvent): string[] {
  if (e.type === 'diagnostic' && e.diagnostic) return diagnosticLines(e.diagnostic);
  return e['@message'] ? [e['@message']] : [];
}

function diagnosticLines(d: NonNullable<EngineEvent['diagnostic']>): string[] {
  const head = `${d.severity === 'warning' ? 'Warning' : 'Error'}: ${d.summary ?? ''}`.trimEnd();
  return [head, ...(d.address ? [`  with ${d.address}`] : []), ...(d.detail ? d.detail.split('\n').map((l) => (l ? `  ${l}` : '')) : [])];
}

/** Warnings every phase-1 apply gets (stackyard targets the one-shot jobs on purpose): not shown. */
export const EXPECTED_WARNINGS = ['Resource targeting is in effect', 'Applied changes may be incomplete'];

/** What a resource address stands for in the environment. */
export interface Subject {
  readonly host: string;
  /** The service, for containers; the resource kind in brackets otherwise ("(network)"). */
  readonly group: string;
  /** "backend-1" for a replica, the name of a network, image or volume otherwise. */
  readonly label: string;
  readonly replica?: number;
  /** What "done" means for a created container: healthy (waited for), completed (one-shot), running. */
  readonly ready: 'healthy' | 'completed' | 'running' | 'created';
  /** Bookkeeping the table leaves out (revisions, secret versions); errors still print. */
  readonly internal: boolean;
}

type Json = Record<string, unknown>;

/** Maps a resource address (its type, and the id the engine names when it starts on it) to its subject. */
export type SubjectOf = (address: string, type?: string, id?: string) => Subject;

/**
 * The reference a docker_image's id ends with: the provider's id is the image id followed by
 * the name it was pulled as (`sha256:<64 hex>postgres:17`).
 */
export function imageReferenceOfId(id: string | undefined): string | undefined {
  const m = /^sha256:[0-9a-f]{64}(.+)$/.exec(id ?? '');
  return m?.[1];
}

/**
 * Resources of a state by type and name, shaped like the stack's (`provider` as `docker.<alias>`):
 * what a resource the stack no longer has (a removed image, service or network) was.
 */
function stateResources(state: StateJson | undefined): Record<string, Record<string, Json>> {
  const out: Record<string, Record<string, Json>> = {};
  for (const r of state?.resources ?? []) {
    if ((r.mode && r.mode !== 'managed') || r.module) continue;
    const attributes = r.instances?.[0]?.attributes;
    if (!attributes) continue;
    const alias = /\]\.([A-Za-z0-9_-]+)$/.exec(r.provider ?? '')?.[1];
    (out[r.type] ??= {})[r.name] = { ...attributes, ...(alias ? { provider: `docker.${alias}` } : {}) };
  }
  return out;
}

/**
 * Maps resource addresses to subjects with what the synthesized stack knows, and for what it no
 * longer has (a deploy that removes something) what the state before the run recorded.
 */
export function subjectsOf(stack: StackJson, state?: StateJson): SubjectOf {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json> | undefined>;
  const before = stateResources(state);
  const hosts = dockerHosts(stack).map((h) => h.alias);
  const firstHost = hosts[0] ?? '-';
  const aliasOf = (r: Json | undefined) => (typeof r?.provider === 'string' ? r.provider.split('.')[1] : undefined);
  return (address, type, id) => {
    const m = /^(?:module\.[^.]+\.)*([a-z0-9_]+)\.([^.[]+)(?:\[(.+)\])?$/.exec(address);
    const t = type ?? m?.[1] ?? '';
    const name = m?.[2] ?? address;
    const r = resources[t]?.[name] ?? before[t]?.[name] ?? (t === 'docker_image' && imageReferenceOfId(id) ? { name: imageReferenceOfId(id) } : undefined);
    if (t === 'docker_container') {
      const labels = Object.fromEntries(((r?.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value]));
      const svc = /^svc_(.+)_(\d+)$/.exec(name);
      const service = labels['stackyard.service'] ?? svc?.[1].replace(/_/g, '-') ?? name;
      const replica = Number(labels['stackyard.replica'] ?? svc?.[2] ?? 1);
      const ready = r?.must_run === false ? 'completed' : r?.wait === true ? 'healthy' : 'running';
      return { host: labels['stackyard.host'] ?? aliasOf(r) ?? firstHost, group: service, label: `${service}-${replica}`, replica, ready, internal: false };
    }
    const literal = typeof r?.name === 'string' && !r.name.includes('${') ? r.name : name;
    if (t.startsWith('github_')) return { host: 'github', group: `(${t.replace(/^github_/, '').replace(/_/g, ' ')})`, label: literal, ready: 'created', internal: false };
    const kind = t.replace(/^docker_/, '');
    return { host: aliasOf(r) ?? hosts.find((h) => name.includes(`_${h}_`)) ?? firstHost, group: `(${kind}s)`, label: literal, ready: 'created', internal: t === 'terraform_data' };
  };
}

export type Phase = 'pending' | 'running' | 'done' | 'failed';

export interface Item {
  readonly address: string;
  /** What it stands for; resolved again when the engine names its id (a removed image's reference). */
  subject: Subject;
  /** The planned action: create, update, replace, delete (or what the first hook says). */
  action: string;
  phase: Phase;
  /** The hook running now (create, update, delete): a replacement runs two. */
  step?: string;
  /** Hooks completed; done after `steps` (a replacement runs two, so does a deposed object's removal). */
  completed: number;
  steps: number;
  startedAt?: number;
  endedAt?: number;
}

export interface Progress {
  readonly title: string;
  readonly startedAt: number;
  readonly items: Map<string, Item>;
  summary?: string;
  readonly diagnostics: string[][];
}

export function newProgress(title: string, startedAt: number): Progress {
  return { title, startedAt, items: new Map(), diagnostics: [] };
}

const stepsOf = (action: string) => (action === 'replace' ? 2 : 1);
/** The engine's action as it names it (create, update, replace, delete, read...); a hook without one updates. */
const actionOf = (a: string | undefined) => a ?? 'update';
const timeOf = (e: EngineEvent, fallback: number) => {
  const t = e['@timestamp'] ? Date.parse(e['@timestamp']) : NaN;
  return Number.isFinite(t) ? t : fallback;
};

/**
 * Folds one event into the progress; returns the plain lines it is worth in CI (without the
 * timestamp `lines` adds). `now` is used when the event carries no timestamp.
 */
export function apply(p: Progress, e: EngineEvent, subject: SubjectOf, now: number): string[] {
  const at = timeOf(e, now);
  const res = e.hook?.resource ?? e.change?.resource;
  const address = res?.addr;
  const itemOf = (action: string): Item | undefined => {
    if (!address) return undefined;
    let it = p.items.get(address);
    if (!it) {
      it = { address, subject: subject(address, res?.resource_type, e.hook?.id_value), action, phase: 'pending', completed: 0, steps: 0 };
      p.items.set(address, it);
    } else if (e.hook?.id_value && it.phase === 'pending') {
      it.subject = subject(address, res?.resource_type, e.hook.id_value);
    }
    return it;
  };
  const say = (it: Item, what: string) => (it.subject.internal ? [] : [`${it.subject.host}/${it.subject.label}: ${what} (${e['@message'] ?? address})`]);
  switch (e.type) {
    case 'planned_change': {
      const action = actionOf(e.change?.action);
      if (action === 'read' || e.change?.action === 'no-op' || e.change?.action === 'move' || e.change?.action === 'forget') return [];
      const it = itemOf(action);
      if (it && it.phase === 'pending') {
        // the same address twice: a deposed object (left by a failed replacement) goes too
        it.action = it.steps ? it.action : action;
        it.steps += stepsOf(action);
      }
      return [];
    }
    case 'apply_start': {
      const step = actionOf(e.hook?.action);
      const it = itemOf(step);
      if (!it) return [];
      it.step = step;
      it.phase = 'running';
      it.startedAt ??= at;
      return say(it, doing(step, it));
    }
    case 'apply_progress': {
      const it = itemOf(actionOf(e.hook?.action));
      if (!it) return [];
      it.phase = 'running';
      it.startedAt ??= at - (e.hook?.elapsed_seconds ?? 0) * 1000;
      return say(it, `${doing(it.step ?? it.action, it)}, ${seconds((e.hook?.elapsed_seconds ?? 0) * 1000)}`);
    }
    case 'apply_complete': {
      const it = itemOf(actionOf(e.hook?.action));
      if (!it) return [];
      it.completed++;
      const last = it.completed >= Math.max(it.steps, stepsOf(it.action));
      if (last) {
        it.phase = 'done';
        it.endedAt = at;
        it.step = undefined;
      }
      // the last step of several (a replacement's removal of the old container): the whole time,
      // as the table shows it, not that step's own few seconds
      const whole = last && it.completed > 1 && it.startedAt !== undefined;
      const elapsed = whole ? at - it.startedAt! : e.hook?.elapsed_seconds !== undefined ? e.hook.elapsed_seconds * 1000 : it.startedAt !== undefined ? at - it.startedAt : undefined;
      const took = elapsed !== undefined ? ` after ${seconds(elapsed)}` : '';
      return say(it, last ? `${outcome(it)}${took}` : doneWith(it, actionOf(e.hook?.action), took));
    }
    case 'apply_errored': {
      const it = itemOf(actionOf(e.hook?.action));
      if (!it) return [];
      it.phase = 'failed';
      it.endedAt = at;
      const took = it.startedAt !== undefined ? ` after ${seconds(at - it.startedAt)}` : '';
      // internal or not: a failure always says which resource
      return [`${it.subject.host}/${it.subject.label}: failed${took} (${e['@message'] ?? address})`];
    }
    case 'diagnostic': {
      if (!e.diagnostic || (e.diagnostic.severity === 'warning' && EXPECTED_WARNINGS.includes(e.diagnostic.summary ?? ''))) return [];
      const lines = diagnosticLines(e.diagnostic);
      if (e.diagnostic.severity !== 'warning') p.diagnostics.push(lines);
      return lines;
    }
    case 'change_summary':
      if (e.changes?.operation === 'plan') return [];
      // the run succeeded: what still shows as running finished (the engine does not always
      // report the completion of a deposed object's removal)
      for (const it of p.items.values()) {
        if (it.phase !== 'running') continue;
        it.phase = 'done';
        it.endedAt = at;
        it.step = undefined;
      }
      p.summary = e['@message'];
      return e['@message'] ? [e['@message']] : [];
    default:
      return [];
  }
}

function doing(step: string, it: Item): string {
  if (step === 'delete') return it.action === 'replace' ? 'removing the old container' : 'removing';
  if (step === 'update') return 'updating';
  return it.action === 'replace' ? 'replacing' : 'creating';
}

function doneWith(it: Item, step: string, took: string): string {
  if (step === 'create') return `new one ${it.subject.ready}${took}; removing the old one`;
  return `old one removed${took}`;
}

function outcome(it: Item): string {
  if (it.action === 'delete') return 'removed';
  if (it.action === 'update') return 'updated';
  return it.subject.ready;
}

/** 4s, 1m05s. */
export function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `HH:MM:SS ` in UTC: CI logs are read against other logs. */
export function stamp(at: number): string {
  return `${new Date(at).toISOString().slice(11, 19)} `;
}

/** Plain lines for CI and pipes: each with its time. */
export function lines(p: Progress, e: EngineEvent, subject: SubjectOf, now: number): string[] {
  const at = timeOf(e, now);
  return apply(p, e, subject, now).map((l) => `${stamp(at)}${l}`);
}

/** What one item shows in the table. */
export function state(it: Item, now: number): string {
  const took = it.startedAt !== undefined ? ` ${seconds((it.endedAt ?? now) - it.startedAt)}` : '';
  if (it.phase === 'pending') return it.action === 'delete' ? 'to remove' : it.action === 'replace' ? 'to replace' : it.action === 'update' ? 'to update' : 'pending';
  if (it.phase === 'failed') return `FAILED${took}`;
  if (it.phase === 'running') return `${doing(it.step ?? it.action, it)}${took}`;
  return `${outcome(it)}${took}`;
}

export interface TableSize {
  readonly columns: number;
  readonly rows: number;
}

interface Row {
  readonly host: string;
  readonly group: string;
  readonly items: Item[];
  readonly rank: number;
}

const RANK: Record<Phase, number> = { failed: 0, running: 1, pending: 2, done: 3 };

/**
 * The live view: a headline with counts, then per host its services, each with its replicas'
 * states, bounded to `size` (long lines cut, and when the rows do not fit the ones in progress
 * or failed first, the rest counted). Deterministic for the same progress and clock.
 */
export function table(p: Progress, now: number, size: TableSize): string[] {
  const items = [...p.items.values()].filter((i) => !i.subject.internal);
  const count = (ph: Phase) => items.filter((i) => i.phase === ph).length;
  const head = `${p.title}: ${count('done')}/${items.length} done${count('running') ? `, ${count('running')} in progress` : ''}${count('failed') ? `, ${count('failed')} FAILED` : ''}${count('pending') ? `, ${count('pending')} waiting` : ''} (${seconds(now - p.startedAt)})`;
  const groups = new Map<string, Row>();
  for (const it of items) {
    const key = `${it.subject.host}\u0000${it.subject.group}`;
    const row = groups.get(key) ?? { host: it.subject.host, group: it.subject.group, items: [], rank: 9 };
    row.items.push(it);
    groups.set(key, { ...row, rank: Math.min(row.rank, RANK[it.phase]) });
  }
  const rows = [...groups.values()].sort((a, b) => a.host.localeCompare(b.host) || a.group.localeCompare(b.group));
  const width = Math.max(8, ...rows.map((r) => r.group.length));
  const cut = (s: string) => ([...s].length > size.columns ? `${[...s].slice(0, Math.max(0, size.columns - 1)).join('')}…` : s);
  const rowText = (r: Row) => {
    const parts = r.items
      .sort((a, b) => (a.subject.replica ?? 0) - (b.subject.replica ?? 0) || a.subject.label.localeCompare(b.subject.label))
      .map((i) => `${i.subject.replica !== undefined ? `#${i.subject.replica}` : i.subject.label} ${state(i, now)}`);
    return `  ${r.group.padEnd(width)}  ${parts.join(', ')}`;
  };
  // rows that fit: a host line for each host shown, one for the count of the rest
  const budget = Math.max(1, size.rows - 2);
  let shown = rows;
  let hidden: Row[] = [];
  const hostsOf = (rs: Row[]) => new Set(rs.map((r) => r.host)).size;
  if (rows.length + hostsOf(rows) > budget) {
    const byUrgency = [...rows].sort((a, b) => a.rank - b.rank || a.host.localeCompare(b.host) || a.group.localeCompare(b.group));
    let k = byUrgency.length;
    while (k > 0 && k + hostsOf(byUrgency.slice(0, k)) > budget - 1) k--;
    const keep = new Set(byUrgency.slice(0, k));
    shown = rows.filter((r) => keep.has(r));
    hidden = rows.filter((r) => !keep.has(r));
  }
  const out = [cut(head)];
  let host = '';
  for (const r of shown) {
    if (r.host !== host) out.push(cut(`${r.host}`));
    host = r.host;
    out.push(cut(rowText(r)));
  }
  if (hidden.length) {
    const h = hidden.flatMap((r) => r.items);
    const n = (ph: Phase) => h.filter((i) => i.phase === ph).length;
    const parts = [n('done') ? `${n('done')} done` : '', n('pending') ? `${n('pending')} waiting` : '', n('running') ? `${n('running')} in progress` : '', n('failed') ? `${n('failed')} failed` : ''].filter(Boolean);
    out.push(cut(`  … ${hidden.length} more service rows (${parts.join(', ')})`));
  }
  return out;
}

/** Whether the live view is used: a terminal, not CI, not turned off. */
export function liveView(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTty && !env.CI && env.TERM !== 'dumb' && env.STACKYARD_PROGRESS !== 'plain';
}

/** The ANSI text that replaces the last frame (of `previous` lines) with `frame`. */
export function redraw(previous: number, frame: readonly string[]): string {
  return `${previous ? `\x1b[${previous}F` : ''}\x1b[J${frame.map((l) => `${l}\n`).join('')}`;
}

const CHANGES_TABLE = new Set(['planned_change', 'apply_start', 'apply_progress', 'apply_complete', 'apply_errored', 'diagnostic', 'change_summary']);

export interface ReporterOptions {
  /** Redraw a table in place (a terminal) instead of printing lines. */
  readonly live: boolean;
  readonly write: (text: string) => void;
  readonly size: () => TableSize;
  readonly now: () => number;
}

/**
 * The output side of one engine run: lines as events arrive (CI, pipes), or a frame redrawn on
 * each event and tick (a terminal) with the diagnostics printed above it, in full. `finish`
 * leaves the last frame (or prints it once, in plain mode) as the run's summary.
 */
export class Reporter {
  readonly progress: Progress;
  private frame = 0;
  private finished = false;

  constructor(title: string, private readonly subject: SubjectOf, private readonly o: ReporterOptions) {
    this.progress = newProgress(title, o.now());
  }

  event(e: EngineEvent): void {
    const now = this.o.now();
    if (!this.o.live) {
      for (const l of lines(this.progress, e, this.subject, now)) this.o.write(`${l}\n`);
      return;
    }
    const said = apply(this.progress, e, this.subject, now);
    if (!CHANGES_TABLE.has(e.type)) return;
    // in the live view only what must stay on screen is printed above the frame: diagnostics
    this.draw(e.type === 'diagnostic' ? said : []);
  }

  /**
   * A line of the engine's output that is no event (plain text on its stderr): timestamped like
   * the rest in plain mode; on a terminal printed above the frame, which is drawn again under it
   * (written straight to the terminal it would sit inside the frame and be erased by the next redraw).
   */
  text(line: string): void {
    if (!this.o.live) {
      this.o.write(`${stamp(this.o.now())}${line}\n`);
      return;
    }
    if (this.finished || !this.progress.items.size) {
      this.o.write(`${line}\n`);
      return;
    }
    this.draw([line]);
  }

  tick(): void {
    if (this.o.live && !this.finished && this.progress.items.size) this.draw([]);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (!this.progress.items.size) return;
    const now = this.o.now();
    if (this.o.live) this.draw([]);
    else for (const l of table(this.progress, now, { columns: 160, rows: 60 })) this.o.write(`${stamp(now)}${l}\n`);
  }

  private draw(above: readonly string[]): void {
    const size = this.o.size();
    const frame = this.progress.items.size ? table(this.progress, this.o.now(), size) : [];
    this.o.write(redraw(this.frame, [...above, ...frame]));
    this.frame = frame.length;
  }
}
