/**
 * Deploy progress (lib/deploy/progress.ts) from real OpenTofu events: test/fixtures/progress/*.jsonl
 * are the raw `tofu apply -json` / `destroy -json` output of `stackyard deploy` and `down` of the
 * e2e environment (environments/local.yaml on the test engine) recorded with STACKYARD_ENGINE_LOG:
 * a first deploy, a new backend tag (replacements), a backend image that never becomes healthy,
 * and a down. They were recorded with canary secret values ("e2e-canary-..."), none of which
 * appears in them: the events carry no secret. Also the synth summary, which wraps or counts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryTable } from '../lib/app';
import { eventText, liveView, newProgress, parseEvent, redraw, Reporter, seconds, state, subjectsOf, table, lines, apply, type EngineEvent, type Progress, type SubjectOf } from '../lib/deploy/progress';
import { loadModel } from '../lib/ops/model';
import { shared, stubProperty, synth, writeFiles } from './helpers';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'progress');

/** The events of a recording, split into engine runs (each starts with its `version` event). */
function runs(name: string): EngineEvent[][] {
  const out: EngineEvent[][] = [];
  for (const line of fs.readFileSync(path.join(FIXTURES, `${name}.jsonl`), 'utf8').split('\n')) {
    const e = parseEvent(line);
    if (!e) continue;
    if (e.type === 'version' || !out.length) out.push([]);
    out[out.length - 1].push(e);
  }
  return out;
}

/** The e2e environment as the recordings deployed it (test/e2e/harness.ts writeEnvironment). */
const e2eYaml = (backendTag: string) => [
  'name: e2e',
  `extends: ${path.join(ROOT, 'environments', 'local.yaml')}`,
  'protectVolumes: true',
  'services:',
  '  proxy: { entrypoints: { web: 18001 }, dashboard: { port: 18090 } }',
  `  backend: { tag: "${backendTag}" }`,
  '  prestart: { env: {"PRESTART_SECONDS":"1"} }',
  '',
].join('\n');
// Both made by the first test that needs them (see `shared`).
const e2eStack = shared(() => synth({ 'e2e.yaml': e2eYaml('1') }).e2e);
const e2eSubject = shared(() => subjectsOf(e2eStack()));

/** Folds a run; the plain lines it printed. */
function fold(events: EngineEvent[], title = 'deploy of e2e'): { p: Progress; out: string[] } {
  const p = newProgress(title, Date.parse(events[0]['@timestamp'] ?? '') || 0);
  const out = events.flatMap((e) => lines(p, e, e2eSubject(), 0));
  return { p, out };
}
const endOf = (events: EngineEvent[]) => Date.parse(events[events.length - 1]['@timestamp']!);

describe('the recorded events', () => {
  it('hold no secret value (recorded with canary secrets) and are the engine\'s machine-readable UI', () => {
    for (const f of fs.readdirSync(FIXTURES)) {
      const text = fs.readFileSync(path.join(FIXTURES, f), 'utf8');
      expect(text, f).not.toContain('e2e-canary-');
      expect(text.split('\n').filter(Boolean).every((l) => parseEvent(l) !== undefined), f).toBe(true);
    }
    expect(parseEvent('Error: not an event')).toBeUndefined();
    expect(parseEvent('{"no":"type"}')).toBeUndefined();
  });
});

describe('a first deploy', () => {
  const events = runs('first-deploy').at(-1)!;
  const run = shared(() => fold(events)); // by the first test that reads it, not while the file is collected

  it('says per replica and host when it starts, how long it runs, and what done means for it', () => {
    const { out } = run();
    // the e2e suite kills a deploy on this line (test/e2e/stack.test.ts)
    expect(out.join('\n')).toMatch(/^\d\d:\d\d:\d\d local\/prestart-1: creating \(docker_container\.svc_prestart_1: Creating\.\.\.\)$/m);
    expect(out).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d local\/backend-2: creating, 10s \(docker_container\.svc_backend_2: Still creating\.\.\. \[10s elapsed\]\)$/));
    // waited for its healthcheck: healthy; a one-shot job: completed; no healthcheck: running
    expect(out).toContainEqual(expect.stringMatching(/ local\/backend-1: healthy after \d+s \(docker_container\.svc_backend_1: Creation complete after \d+s/));
    expect(out).toContainEqual(expect.stringMatching(/ local\/prestart-1: completed after \d+s /));
    expect(out).toContainEqual(expect.stringMatching(/ local\/watcher-1: running after \d+s /));
    expect(out).toContainEqual(expect.stringMatching(/ local\/e2e-private: created after \d+s \(docker_network\.network_local_private/));
    expect(out.at(-1)).toMatch(/^\d\d:\d\d:\d\d Apply complete! Resources: 34 added, 0 changed, 0 destroyed\.$/);
    // bookkeeping resources (revisions, secret versions) are not listed
    expect(out.join('\n')).not.toContain('terraform_data');
  });

  it('ends with every service of the host done, replicas in order', () => {
    const { p } = run();
    expect([...p.items.values()].filter((i) => !i.subject.internal).every((i) => i.phase === 'done')).toBe(true);
    const t = table(p, endOf(events), { columns: 200, rows: 50 });
    expect(t[0]).toMatch(/^deploy of e2e: 21\/21 done \(\d+m\d\ds\)$/);
    expect(t[1]).toBe('local');
    expect(t).toContainEqual(expect.stringMatching(/^  backend +#1 healthy \d+s, #2 healthy \d+s$/));
    expect(t).toContainEqual(expect.stringMatching(/^  prestart +#1 completed \d+s$/));
    expect(t).toContainEqual(expect.stringMatching(/^  \(networks\) +e2e-private created \d+s, e2e-proxy created \d+s$/));
  });

  it('mid-way: what runs, what waits, and the elapsed time by the clock', () => {
    const cut = events.findIndex((e) => e['@message'] === 'docker_container.svc_prestart_1: Creating...');
    const mid = fold(events.slice(0, cut + 1)).p;
    const now = Date.parse(events[cut]['@timestamp']!) + 4000;
    const t = table(mid, now, { columns: 200, rows: 50 });
    expect(t[0]).toMatch(/^deploy of e2e: \d+\/21 done, \d+ in progress, \d+ waiting \(\d+s\)$/);
    expect(t).toContainEqual('  prestart       #1 creating 4s');
    expect(t).toContainEqual(expect.stringMatching(/^  backend +#1 pending, #2 pending$/));
  });
});

describe('a new backend tag', () => {
  const [phaseOne, main] = runs('update');
  const events = main;
  const run = shared(() => fold(events)); // by the first test that reads it, not while the file is collected

  it('phase 1 changed nothing and its targeting warnings are not shown', () => {
    expect(fold(phaseOne).out).toEqual([expect.stringMatching(/Apply complete! Resources: 0 added, 0 changed, 0 destroyed\.$/)]);
  });

  it('a replacement says the new replica is healthy before the old one goes, and is done only then', () => {
    const { p, out } = run();
    const b1 = out.filter((l) => l.includes('local/backend-1:')).map((l) => l.slice(9).replace(/ \(.*\)$/, '').replace(/\d+s/g, 'Ns'));
    expect(b1).toEqual([
      'local/backend-1: replacing',
      'local/backend-1: replacing, Ns',
      'local/backend-1: new one healthy after Ns; removing the old one',
      'local/backend-1: removing the old container',
      'local/backend-1: healthy after Ns',
    ]);
    expect(p.items.get('docker_container.svc_backend_1')).toMatchObject({ action: 'replace', phase: 'done', completed: 2 });
    // the last line gives the whole replacement's time (as the table does), not the old one's removal alone
    const seconds = (l: string) => Number(/after (\d+)s/.exec(l)?.[1]);
    const lines1 = out.filter((l) => l.includes('local/backend-1:'));
    const newOne = seconds(lines1.find((l) => l.includes('new one healthy after'))!);
    expect(seconds(lines1.at(-1)!)).toBeGreaterThan(newOne);
    expect(lines1.at(-1)).toMatch(/Destruction complete after [0-9]s\)$/);
  });
});

describe('a backend image that never becomes healthy', () => {
  const events = runs('unhealthy').at(-1)!;
  const run = shared(() => fold(events)); // by the first test that reads it, not while the file is collected

  it('marks the replica failed and prints the diagnostic in full', () => {
    const { p, out } = run();
    const failed = [...p.items.values()].filter((i) => i.phase === 'failed').map((i) => i.subject.label);
    expect(failed).toEqual(['backend-1']);
    const text = out.join('\n');
    expect(text).toMatch(/ local\/backend-1: failed after [\dm]+s \(docker_container\.svc_backend_1: Creation errored after [\dm]+s\)/);
    expect(text).toMatch(/ Error: container failed to be in healthy state\n\d\d:\d\d:\d\d   with docker_container\.svc_backend_1/);
    expect(p.diagnostics).toHaveLength(1);
    const t = table(p, endOf(events), { columns: 200, rows: 50 });
    expect(t[0]).toMatch(/, 1 FAILED/);
    expect(t).toContainEqual(expect.stringMatching(/^  backend +#1 FAILED [\dm]+s, #2 to replace$/));
  });

  it('keeps the plain text of the error for the error matching a deploy does (eventText)', () => {
    const d = events.find((e) => e.type === 'diagnostic' && e.diagnostic?.severity === 'error')!;
    expect(eventText(d)[0]).toBe('Error: container failed to be in healthy state');
  });
});

describe('a down', () => {
  const events = runs('down').at(-1)!;
  const run = shared(() => fold(events, 'down of e2e')); // by the first test that reads it, not while the file is collected

  it('removes every container and says so', () => {
    const { p, out } = run();
    const containers = [...p.items.values()].filter((i) => i.address.startsWith('docker_container.'));
    expect(containers.length).toBe(12);
    expect(containers.every((i) => i.phase === 'done' && i.action === 'delete')).toBe(true);
    expect(out).toContainEqual(expect.stringMatching(/ local\/db-1: removed after \d+s \(docker_container\.svc_db_1: Destruction complete after \d+s\)$/));
    expect(out.at(-1)).toMatch(/Destroy complete! Resources: \d+ destroyed\.$/);
    expect(table(p, endOf(events), { columns: 200, rows: 50 })).toContainEqual(expect.stringMatching(/^  backend +#1 removed \d+s, #2 removed \d+s$/));
  });

  it('names a removed image by its reference, never by its resource name, also when the stack no longer has it', () => {
    const { p, out } = run();
    // the stack these events are folded with has only tag 1 of the demo app: tags 2 and
    // "unhealthy" are images earlier deploys pulled, gone from the file
    expect(JSON.stringify(e2eStack().resource)).not.toContain('image_local_stackyard_demo_app_2');
    const t = table(p, endOf(events), { columns: 300, rows: 50 }).join('\n');
    expect(t).toMatch(/^  \(images\) +.*stackyard\/demo-app:2 removed \d+s/m);
    expect(t).toContain('stackyard/demo-app:unhealthy removed');
    expect(t).toContain('postgres:17 removed');
    expect(t).not.toMatch(/image_local_/);
    expect(out.filter((l) => / local\/image_/.test(l))).toEqual([]);
    expect(out).toContainEqual(expect.stringMatching(/ local\/stackyard\/demo-app:2: removed after \d+s \(docker_image\.image_local_stackyard_demo_app_2: Destruction complete/));
  });

  it('names what the stack no longer has from the state before the run: a removed service on its host, a removed image from the start', () => {
    const state = {
      resources: [
        { mode: 'managed', type: 'docker_image', name: 'image_edge_acme_old_3', provider: 'provider["registry.opentofu.org/kreuzwerker/docker"].edge', instances: [{ attributes: { name: 'acme/old:3' } }] },
        { mode: 'managed', type: 'docker_container', name: 'svc_legacy_2', provider: 'provider["registry.opentofu.org/kreuzwerker/docker"].edge', instances: [{ attributes: { name: 'e2e-legacy-2', wait: true, labels: [{ label: 'stackyard.service', value: 'legacy' }, { label: 'stackyard.replica', value: '2' }, { label: 'stackyard.host', value: 'edge' }] } }] },
      ],
    };
    const named = subjectsOf(e2eStack(), state);
    expect(named('docker_image.image_edge_acme_old_3')).toMatchObject({ host: 'edge', group: '(images)', label: 'acme/old:3' });
    expect(named('docker_container.svc_legacy_2')).toMatchObject({ host: 'edge', group: 'legacy', label: 'legacy-2', replica: 2 });
    // without the state: the resource name, on the first host (what the id fixes for an image)
    expect(e2eSubject()('docker_image.image_edge_acme_old_3')).toMatchObject({ label: 'image_edge_acme_old_3' });
    expect(e2eSubject()('docker_image.image_edge_acme_old_3', 'docker_image', `sha256:${'a'.repeat(64)}acme/old:3`)).toMatchObject({ label: 'acme/old:3' });
  });
});

describe('the live view', () => {
  /** 300 services on 3 hosts, 200 done, one failed, four running, the rest waiting. */
  function big(): Progress {
    const p = newProgress('deploy of big', 0);
    const s = (host: string, svc: string) => ({ host, group: svc, label: `${svc}-1`, replica: 1, ready: 'healthy' as const, internal: false });
    for (let i = 0; i < 300; i++) {
      const svc = `svc${String(i).padStart(3, '0')}`;
      const phase = i < 200 ? 'done' : i === 250 ? 'failed' : i > 295 ? 'running' : 'pending';
      p.items.set(svc, { address: svc, subject: s(`host${i % 3}`, svc), action: 'create', phase, completed: phase === 'done' ? 1 : 0, startedAt: phase === 'pending' ? undefined : 0, endedAt: phase === 'done' || phase === 'failed' ? 5000 : undefined });
    }
    return p;
  }

  it('fits the terminal: failed and running rows first, the rest counted, no line wider than the screen', () => {
    const t = table(big(), 65_000, { columns: 60, rows: 12 });
    expect(t.length).toBeLessThanOrEqual(12);
    expect(t.every((l) => [...l].length <= 60)).toBe(true);
    expect(t[0]).toBe('deploy of big: 200/300 done, 4 in progress, 1 FAILED, 95 wa…');
    const shown = t.join('\n');
    expect(shown).toMatch(/^  svc250 +#1 FAILED 5s$/m);
    for (const n of [296, 297, 298, 299]) expect(shown).toMatch(new RegExp(`^  svc${n} +#1 creating 1m05s$`, 'm'));
    expect(t.at(-1)).toMatch(/^  … 29\d more service rows \(200 done, 9\d waiting\)$/);
  });

  it('rows: all when they fit with their host lines; else the most urgent that fit with theirs (failed, running, waiting, done; then host and name) and a count of the rest; a line as wide as the screen is not cut', () => {
    const p = newProgress('deploy of t', 0);
    const add = (host: string, group: string, phase: 'done' | 'running' | 'failed' | 'pending') =>
      p.items.set(group, { address: group, subject: { host, group, label: `${group}-1`, replica: 1, ready: 'healthy', internal: false }, action: 'create', phase, completed: 0, steps: 1 });
    add('a', 'g1', 'done'); add('a', 'g2', 'running'); add('a', 'g4', 'failed'); add('a', 'g5', 'pending'); add('b', 'g3', 'pending');
    const head = 'deploy of t: 1/5 done, 1 in progress, 1 FAILED, 2 waiting (0s)';
    const row = (g: string, st: string) => `  ${g.padEnd(8)}  #1 ${st}`;
    // 5 rows and 2 host lines under the headline: 9 rows of screen hold them (one kept free)
    expect(table(p, 0, { columns: 80, rows: 9 })).toEqual([head, 'a', row('g1', 'healthy'), row('g2', 'creating'), row('g4', 'FAILED'), row('g5', 'pending'), 'b', row('g3', 'pending')]);
    // fewer: the most urgent that fit with their host line and a line for the count (the three on
    // host a need 4 lines: in 8 rows and in 7), the rest counted
    const three = [head, 'a', row('g2', 'creating'), row('g4', 'FAILED'), row('g5', 'pending'), '  … 2 more service rows (1 done, 1 waiting)'];
    expect(table(p, 0, { columns: 80, rows: 8 })).toEqual(three);
    expect(table(p, 0, { columns: 80, rows: 7 })).toEqual(three);
    expect(table(p, 0, { columns: 80, rows: 6 })).toEqual([head, 'a', row('g2', 'creating'), row('g4', 'FAILED'), '  … 3 more service rows (1 done, 2 waiting)']);
    // no room for any row: every row counted, by phase
    expect(table(p, 0, { columns: 80, rows: 3 })).toEqual([head, '  … 5 more service rows (1 done, 2 waiting, 1 in progress, 1 failed)']);
    expect(table(p, 0, { columns: head.length, rows: 8 })[0]).toBe(head);
    expect(table(p, 0, { columns: head.length - 1, rows: 8 })[0]).toBe(`${head.slice(0, head.length - 2)}…`);
  });

  it('redraws in place, and keeps diagnostics above the frame', () => {
    const out: string[] = [];
    let now = 0;
    const r = new Reporter('deploy of e2e', e2eSubject(), { live: true, write: (t) => out.push(t), size: () => ({ columns: 80, rows: 20 }), now: () => now });
    const events = runs('unhealthy').at(-1)!;
    for (const e of events) {
      now = Date.parse(e['@timestamp']!);
      r.event(e);
    }
    r.finish();
    // the first frame draws from where the cursor is; every later one first goes back up the
    // previous frame's lines (not the diagnostic lines printed above it)
    expect(out[0].startsWith('\x1b[J')).toBe(true);
    const frameLines = (t: string) => {
      const ls = t.replace(/^(\x1b\[\d+F)?\x1b\[J/, '').split('\n').slice(0, -1);
      return ls.length - ls.findIndex((l) => l.startsWith('deploy of e2e:'));
    };
    for (let i = 1; i < out.length; i++) expect(out[i].startsWith(`\x1b[${frameLines(out[i - 1])}F\x1b[J`), `frame ${i}`).toBe(true);
    // the diagnostic was printed once, above a frame, and never erased: the next frame goes up only its own lines
    const withError = out.findIndex((t) => t.includes('Error: container failed to be in healthy state'));
    expect(withError).toBeGreaterThan(0);
    expect(out.filter((t) => t.includes('Error: container failed'))).toHaveLength(1);
    expect(out.at(-1)).toMatch(/backend +#1 FAILED [\dm]+s/);
    expect(redraw(3, ['a', 'b'])).toBe('\x1b[3F\x1b[Ja\nb\n');
  });

  /** What a terminal shows after these writes: text, newlines, cursor up N lines (CSI N F), clear to the end (CSI J). */
  function screen(writes: readonly string[]): string[] {
    const rows: string[] = [''];
    let row = 0;
    for (const w of writes) {
      for (const part of w.split(/(\x1b\[\d*[FJ])/)) {
        const esc = /^\x1b\[(\d*)([FJ])$/.exec(part);
        if (esc?.[2] === 'F') row = Math.max(0, row - Number(esc[1] || 1));
        else if (esc?.[2] === 'J') rows.splice(row + 1), (rows[row] = '');
        else {
          for (const [i, t] of part.split('\n').entries()) {
            if (i > 0) {
              row++;
              rows[row] ??= '';
              rows[row] = '';
            }
            rows[row] += t;
          }
        }
      }
    }
    return rows.slice(0, rows[row] === '' ? row : row + 1);
  }

  it('on a terminal: engine text that is no event goes above the frame and stays; one frame at the end', () => {
    const out: string[] = [];
    let now = 0;
    const r = new Reporter('deploy of e2e', e2eSubject(), { live: true, write: (t) => out.push(t), size: () => ({ columns: 100, rows: 40 }), now: () => now });
    const events = runs('first-deploy').at(-1)!;
    for (const [i, e] of events.entries()) {
      now = Date.parse(e['@timestamp']!);
      r.event(e);
      if (i === 40) r.text('2026/11/30 06:51:45 [WARN] a plain line on the engine\'s stderr');
      if (i % 10 === 0) r.tick();
    }
    r.finish();
    const shown = screen(out);
    expect(shown.filter((l) => l.includes('a plain line on the engine'))).toHaveLength(1);
    expect(shown.filter((l) => l.startsWith('deploy of e2e:'))).toEqual([expect.stringMatching(/^deploy of e2e: 21\/21 done \(\d+m\d\ds\)$/)]);
    expect(shown[0]).toContain('a plain line on the engine');
    expect(shown).toContainEqual(expect.stringMatching(/^  backend +#1 healthy \d+s, #2 healthy \d+s$/));
  });

  it('the live reporter, call by call: text before any item and after the end is plain; a tick redraws only a frame in progress; events the table does not show draw nothing; the end draws once', () => {
    const out: string[] = [];
    const subject: SubjectOf = (a) => ({ host: 'h', group: a, label: `${a}-1`, replica: 1, ready: 'running', internal: false });
    const r = new Reporter('deploy of t', subject, { live: true, write: (t) => out.push(t), size: () => ({ columns: 80, rows: 10 }), now: () => 0 });
    r.text('before');
    r.tick();
    r.event({ type: 'version', '@message': 'OpenTofu 1.11' });
    expect(out).toEqual(['before\n']);
    r.event({ type: 'planned_change', change: { resource: { addr: 'x', resource_type: 'docker_container' }, action: 'create' } });
    const frame = ['deploy of t: 0/1 done, 1 waiting (0s)', 'h', '  x         #1 pending'];
    expect(out.at(-1)).toBe(redraw(0, frame));
    r.event({ type: 'version' });
    expect(out).toHaveLength(2);
    r.tick();
    expect(out.at(-1)).toBe(redraw(3, frame));
    r.text('a line');
    expect(out.at(-1)).toBe(redraw(3, ['a line', ...frame]));
    r.finish();
    expect(out.at(-1)).toBe(redraw(3, frame));
    const n = out.length;
    r.finish();
    r.tick();
    expect(out).toHaveLength(n);
    r.text('after');
    expect(out.at(-1)).toBe('after\n');
    // nothing happened at all: the end prints nothing
    const quiet: string[] = [];
    new Reporter('deploy of t', subject, { live: false, write: (t) => quiet.push(t), size: () => ({ columns: 80, rows: 10 }), now: () => 0 }).finish();
    expect(quiet).toEqual([]);
  });

  it('in plain mode, engine text that is no event is timestamped like the rest', () => {
    const out: string[] = [];
    const r = new Reporter('deploy of e2e', e2eSubject(), { live: false, write: (t) => out.push(t), size: () => ({ columns: 80, rows: 20 }), now: () => Date.parse('2026-11-30T06:51:45Z') });
    r.text('a plain line');
    expect(out).toEqual(['06:51:45 a plain line\n']);
  });

  it('is used on a terminal only: not in CI, not piped, not with TERM=dumb or STACKYARD_PROGRESS=plain', () => {
    expect(liveView(true, {})).toBe(true);
    expect(liveView(false, {})).toBe(false);
    expect(liveView(true, { CI: 'true' })).toBe(false);
    expect(liveView(true, { TERM: 'dumb' })).toBe(false);
    expect(liveView(true, { STACKYARD_PROGRESS: 'plain' })).toBe(false);
  });

  it('in plain mode, prints timestamped lines and the final table once', () => {
    const out: string[] = [];
    const events = runs('first-deploy').at(-1)!;
    let now = 0;
    const r = new Reporter('deploy of e2e', e2eSubject(), { live: false, write: (t) => out.push(t), size: () => ({ columns: 80, rows: 20 }), now: () => now });
    for (const e of events) {
      now = Date.parse(e['@timestamp']!);
      r.event(e);
    }
    r.finish();
    r.finish();
    expect(out.every((l) => /^\d\d:\d\d:\d\d /.test(l) && !l.includes('\x1b'))).toBe(true);
    expect(out.filter((l) => l.includes('deploy of e2e: 21/21 done'))).toHaveLength(1);
  });

  it('an event without an address or of another kind changes nothing', () => {
    const p = newProgress('x', 0);
    expect(apply(p, { type: 'refresh_start', hook: { resource: { addr: 'docker_container.svc_db_1' } } }, e2eSubject(), 0)).toEqual([]);
    expect(apply(p, { type: 'apply_start', hook: {} }, e2eSubject(), 0)).toEqual([]);
    expect(p.items.size).toBe(0);
  });
});

describe('the synth summary', () => {
  it('wraps the service names under their column instead of one long line', () => {
    const names = Array.from({ length: 20 }, (_, i) => `service-number-${i}`);
    const dir = writeFiles({ 'w.yaml': ['name: w', 'hosts: { a: { docker: "unix:///var/run/docker.sock" } }', 'services:', ...names.map((n) => `  ${n}: { kind: service, image: acme/x, tag: "1" }`), ''].join('\n') });
    const t = summaryTable([loadModel('w', dir)], 100);
    expect(t.every((l) => l.length <= 100)).toBe(true);
    expect(t.length).toBeGreaterThan(4);
    expect(t[2]).toMatch(/^w +a +20 services \/ 20 containers +service-number-0 service-number-1 /);
    expect(t.slice(2).join(' ').replace(/\s+/g, ' ')).toContain([...names].sort().join(' '));
  });

  /** An environment named `name` with a service per `[name, host, kind, replicas]` of `services`, on the hosts they name. */
  const modelOf = (name: string, services: readonly (readonly [string, string, string, number])[]) => {
    const hosts = [...new Set(services.map(([, h]) => h))];
    const yaml = [`name: ${name}`, 'hosts:', ...hosts.map((h) => `  ${h}: { docker: "ssh://deploy@${h}.example.com", address: ${h}.example.com }`), 'services:',
      ...services.map(([n, h, kind, replicas]) => `  ${n}: { kind: ${kind}, host: ${h}, image: acme/x, tag: "1", replicas: ${replicas}${kind === 'web' ? ', port: 80' : ''} }`), ''].join('\n');
    return loadModel(name, writeFiles({ [`${name}.yaml`]: yaml }));
  };

  it('exactly: columns as wide as their longest cell, replicas as ×n, more than four hosts counted, names wrapped at the width', () => {
    const alpha = modelOf('alpha', [['web', 'h1', 'web', 2], ['api', 'h2', 'service', 3], ['cron', 'h3', 'service', 1], ['q', 'h4', 'service', 1], ['z', 'h5', 'service', 1]]);
    const beta = modelOf('beta-environment', [['one', 'edge', 'service', 1], ['two', 'core', 'service', 1], ['three', 'edge', 'service', 1], ['four', 'core', 'service', 1]]);
    expect(summaryTable([alpha, beta], 70)).toEqual([
      'stack             hosts      size                       services × replicas',
      '----------------  ---------  -------------------------  -------------------',
      'alpha             5 hosts    5 services / 8 containers  api×3 cron q web×2 z',
      'beta-environment  core,edge  4 services / 4 containers  four one three two', // hosts sorted
    ]);
    // four hosts are named; at 66 columns the names get 20 characters (the least they get), so they wrap
    const four = modelOf('four', [['aa', 'h1', 'service', 1], ['bb', 'h2', 'service', 1], ['cc', 'h3', 'service', 1], ['dd', 'h4', 'service', 1], ['eeeeeeeeeeeeee', 'h1', 'service', 1]]);
    expect(summaryTable([four], 66)).toEqual([
      'stack  hosts        size                       services × replicas',
      '-----  -----------  -------------------------  -------------------',
      'four   h1,h2,h3,h4  5 services / 5 containers  aa bb cc dd',
      '                                               eeeeeeeeeeeeee',
    ]);
    // the first three columns take 47 characters: 'aa bb cc dd eeeeeeeeeeeeee' (26) fits in 73, not in 72
    expect(summaryTable([four], 73)[2]).toBe('four   h1,h2,h3,h4  5 services / 5 containers  aa bb cc dd eeeeeeeeeeeeee');
    expect(summaryTable([four], 73)).toHaveLength(3);
    expect(summaryTable([four], 72)).toHaveLength(4);
  });

  it('an environment without services: no trailing spaces where the names would be', () => {
    const empty = loadModel('e', writeFiles({ 'e.yaml': 'name: e\nhosts: { a: { docker: "unix:///var/run/docker.sock" } }\nservices: {}\n' }));
    expect(summaryTable([empty], 80)[2]).toBe('e             0 services / 0 containers');
  });

  it('names exactly 24 services, counts kinds from 25 on (most first, ties by name)', () => {
    const of = (n: number) => modelOf(`n${n}`, Array.from({ length: n }, (_, i) => [`s${String(i).padStart(2, '0')}`, 'a', i % 3 === 0 ? 'web' : i % 3 === 1 ? 'singleton' : 'service', 1] as const));
    expect(summaryTable([of(24)], 400)[2]).toMatch(/ s00 s01 .* s23$/);
    expect(summaryTable([of(25)], 400)[2]).toMatch(/ by kind: 9 web, 8 service, 8 singleton$/);
  });

  it('is as wide as the terminal, or 100 columns when there is none', () => {
    const names = modelOf('w', Array.from({ length: 20 }, (_, i) => [`service-number-${i}`, 'a', 'service', 1] as const));
    stubProperty(process.stdout, 'columns', undefined);
    expect(summaryTable([names])).toEqual(summaryTable([names], 100));
    stubProperty(process.stdout, 'columns', 60);
    expect(summaryTable([names])).toEqual(summaryTable([names], 60));
    expect(summaryTable([names], 60)).not.toEqual(summaryTable([names], 100));
  });

  it('counts by kind beyond 24 services', () => {
    const lines = ['name: big', 'hosts: { a: { docker: "unix:///var/run/docker.sock" } }', 'services:'];
    for (let i = 0; i < 40; i++) lines.push(`  s${i}: { kind: ${i % 4 ? 'service' : 'web'}, image: acme/x, tag: "1"${i % 4 ? '' : ', port: 80'} }`);
    const t = summaryTable([loadModel('big', writeFiles({ 'big.yaml': `${lines.join('\n')}\n` }))], 100);
    expect(t).toHaveLength(3);
    expect(t[2]).toMatch(/^big +a +40 services \/ \d+ containers +by kind: 30 service, 10 web$/);
  });
});

/**
 * Event by event, with made-up events and subjects: what each kind of event does to an item and
 * which line it prints (the recordings above show real runs; these pin every branch of the fold).
 */
describe('the fold, event by event', () => {
  const T0 = Date.parse('2026-12-01T10:00:00Z');
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  /** Every address is one replica on host h; terraform_data is bookkeeping. */
  const subject: SubjectOf = (address) => {
    const name = address.split('.')[1];
    return { host: 'h', group: name, label: `${name}-1`, replica: 1, ready: 'healthy', internal: address.startsWith('terraform_data.') };
  };
  const res = (addr: string) => ({ addr, resource_type: addr.split('.')[0] });
  const planned = (addr: string, action: string): EngineEvent => ({ type: 'planned_change', change: { resource: res(addr), action } });
  const hook = (type: string, addr: string, action: string | undefined, s: number, extra: Record<string, unknown> = {}, message: string | null = `${addr}: ${type}`): EngineEvent =>
    ({ type, '@timestamp': at(s), ...(message === null ? {} : { '@message': message }), hook: { resource: res(addr), ...(action === undefined ? {} : { action }), ...extra } });
  const run = (events: EngineEvent[]) => {
    const p = newProgress('deploy of x', T0);
    const out = events.map((e) => apply(p, e, subject, T0));
    return { p, out, item: (a: string) => p.items.get(a)! };
  };

  it('planned changes: reads, no-ops, moves and forgets make no item; a replacement is two steps; a deposed object of the same address adds its own', () => {
    const { p, out, item } = run([
      planned('docker_image.read', 'read'), planned('docker_image.same', 'no-op'), planned('docker_network.moved', 'move'), planned('docker_volume.gone', 'forget'),
      planned('docker_container.a', 'create'), planned('docker_container.b', 'replace'), planned('docker_container.b', 'delete'),
      planned('docker_container.c', 'update'), planned('docker_container.d', 'delete'), { type: 'planned_change', change: { action: 'create' } },
    ]);
    expect(out.flat()).toEqual([]);
    expect([...p.items.keys()]).toEqual(['docker_container.a', 'docker_container.b', 'docker_container.c', 'docker_container.d']);
    expect(['a', 'b', 'c', 'd'].map((n) => { const i = item(`docker_container.${n}`); return [i.action, i.steps, i.phase, state(i, T0)]; })).toEqual([
      ['create', 1, 'pending', 'pending'], ['replace', 3, 'pending', 'to replace'], ['update', 1, 'pending', 'to update'], ['delete', 1, 'pending', 'to remove'],
    ]);
  });

  it('a create: started, in progress (from the elapsed time when its start was missed), done with the time the engine gives, else the time since its start', () => {
    const { out, item } = run([
      planned('docker_container.a', 'create'),
      hook('apply_start', 'docker_container.a', 'create', 0),
      hook('apply_progress', 'docker_container.a', 'create', 10, { elapsed_seconds: 10 }),
      hook('apply_complete', 'docker_container.a', 'create', 13, { elapsed_seconds: 12 }),
    ]);
    // the line says the engine's own time for the step; the table the time from start to end
    expect(out).toEqual([[], ['h/a-1: creating (docker_container.a: apply_start)'], ['h/a-1: creating, 10s (docker_container.a: apply_progress)'], ['h/a-1: healthy after 12s (docker_container.a: apply_complete)']]);
    expect([item('docker_container.a').phase, item('docker_container.a').endedAt, state(item('docker_container.a'), T0 + 99_000)]).toEqual(['done', T0 + 13_000, 'healthy 13s']);
    // progress first (the start was before this run read the output): started elapsed seconds before
    const late = run([hook('apply_progress', 'docker_container.a', undefined, 30, { elapsed_seconds: 20 }, null), hook('apply_complete', 'docker_container.a', undefined, 35, {}, null)]);
    expect(late.out).toEqual([['h/a-1: updating, 20s (docker_container.a)'], ['h/a-1: updated after 25s (docker_container.a)']]);
    expect(late.item('docker_container.a').startedAt).toBe(T0 + 10_000);
    // nothing known about its start: no time
    expect(run([hook('apply_complete', 'docker_container.a', 'create', 5)]).out).toEqual([['h/a-1: healthy (docker_container.a: apply_complete)']]);
    // a second start keeps the first start's time
    const twice = run([hook('apply_start', 'docker_container.a', 'create', 1), hook('apply_start', 'docker_container.a', 'create', 4)]);
    expect(twice.item('docker_container.a').startedAt).toBe(T0 + 1000);
    expect(state(twice.item('docker_container.a'), T0 + 9000)).toBe('creating 8s');
  });

  it('a replacement: the new one first, then the old one removed, done only then with the whole time; destroy-first says the old one went', () => {
    const { out, item } = run([
      planned('docker_container.b', 'replace'),
      hook('apply_start', 'docker_container.b', 'create', 0),
      hook('apply_complete', 'docker_container.b', 'create', 5, { elapsed_seconds: 5 }),
      hook('apply_start', 'docker_container.b', 'delete', 6),
      hook('apply_complete', 'docker_container.b', 'delete', 20, { elapsed_seconds: 14 }),
    ]);
    expect(out.slice(1)).toEqual([
      ['h/b-1: replacing (docker_container.b: apply_start)'],
      ['h/b-1: new one healthy after 5s; removing the old one (docker_container.b: apply_complete)'],
      ['h/b-1: removing the old container (docker_container.b: apply_start)'],
      ['h/b-1: healthy after 20s (docker_container.b: apply_complete)'],
    ]);
    expect(item('docker_container.b').phase).toBe('done');
    // with a deposed object to remove too: done after the third step, not the second
    const deposed = run([planned('docker_container.b', 'replace'), planned('docker_container.b', 'delete'), hook('apply_start', 'docker_container.b', 'create', 0), hook('apply_complete', 'docker_container.b', 'create', 1), hook('apply_complete', 'docker_container.b', 'delete', 2)]);
    expect(deposed.item('docker_container.b').phase).toBe('running');
    apply(deposed.p, hook('apply_complete', 'docker_container.b', 'delete', 3), subject, T0);
    expect(deposed.item('docker_container.b').phase).toBe('done');
    // a planned change read again once the work started (the next engine run's plan) adds no step
    const again = run([planned('docker_container.a', 'create'), hook('apply_start', 'docker_container.a', 'create', 0), planned('docker_container.a', 'replace')]);
    expect([again.item('docker_container.a').steps, again.item('docker_container.a').action]).toEqual([1, 'create']);
    const first = run([planned('docker_container.b', 'replace'), hook('apply_start', 'docker_container.b', 'delete', 0), hook('apply_complete', 'docker_container.b', 'delete', 3, { elapsed_seconds: 3 })]);
    expect(first.out.slice(1)).toEqual([['h/b-1: removing the old container (docker_container.b: apply_start)'], ['h/b-1: old one removed after 3s (docker_container.b: apply_complete)']]);
    expect([first.item('docker_container.b').phase, state(first.item('docker_container.b'), T0 + 4000)]).toEqual(['running', 'removing the old container 4s']);
  });

  it('a removal and an update say so; a failure says after how long (or not), also for bookkeeping, which says nothing else', () => {
    const { out } = run([
      planned('docker_container.d', 'delete'), hook('apply_start', 'docker_container.d', 'delete', 0), hook('apply_complete', 'docker_container.d', 'delete', 2, { elapsed_seconds: 2 }),
      planned('docker_container.c', 'update'), hook('apply_start', 'docker_container.c', 'update', 0), hook('apply_errored', 'docker_container.c', 'update', 7),
      hook('apply_start', 'terraform_data.rev', 'create', 0), hook('apply_errored', 'terraform_data.rev', 'create', 1, {}, null),
      hook('apply_errored', 'docker_container.e', 'create', 1),
    ]);
    expect(out.flat()).toEqual([
      'h/d-1: removing (docker_container.d: apply_start)', 'h/d-1: removed after 2s (docker_container.d: apply_complete)',
      'h/c-1: updating (docker_container.c: apply_start)', 'h/c-1: failed after 7s (docker_container.c: apply_errored)',
      'h/rev-1: failed after 1s (terraform_data.rev)',
      'h/e-1: failed (docker_container.e: apply_errored)',
    ]);
  });

  it('an event without an address, or of a kind not read, changes nothing and prints nothing', () => {
    const { p, out } = run([
      { type: 'apply_start', hook: { action: 'create' } }, { type: 'apply_progress', hook: {} }, { type: 'apply_complete', hook: {} }, { type: 'apply_errored' },
      { type: 'resource_drift', change: { resource: res('docker_container.a'), action: 'update' } }, { type: 'outputs', '@message': 'Outputs: 0' },
    ]);
    expect(out.flat()).toEqual([]);
    expect(p.items.size).toBe(0);
  });

  it('diagnostics: the targeting warnings every phase 1 gets are dropped; other warnings printed, errors printed and kept; lines as the engine\'s plain output', () => {
    const d = (severity: string, summary?: string, extra: Record<string, string> = {}): EngineEvent => ({ type: 'diagnostic', diagnostic: { severity, ...(summary === undefined ? {} : { summary }), ...extra } });
    const { p, out } = run([
      d('warning', 'Resource targeting is in effect'), d('warning', 'Applied changes may be incomplete'),
      d('warning', 'Deprecated attribute'), d('error', 'Container exited', { address: 'docker_container.a', detail: 'line one\n\nline three' }), d('error'),
      { type: 'diagnostic', '@message': 'no body' },
    ]);
    expect(out).toEqual([[], [], ['Warning: Deprecated attribute'], ['Error: Container exited', '  with docker_container.a', '  line one', '', '  line three'], ['Error:'], []]);
    expect(p.diagnostics).toEqual([['Error: Container exited', '  with docker_container.a', '  line one', '', '  line three'], ['Error:']]);
    expect(eventText(d('error', 'x', { detail: 'y' }))).toEqual(['Error: x', '  y']);
    expect(eventText({ type: 'diagnostic', '@message': 'm' })).toEqual(['m']);
    expect(eventText({ type: 'apply_start', '@message': 'm' })).toEqual(['m']);
    expect(eventText({ type: 'apply_start' })).toEqual([]);
  });

  it('the summary of an apply ends what still runs and is the last line; a plan\'s summary does nothing', () => {
    const { p, out, item } = run([
      planned('docker_container.a', 'create'), hook('apply_start', 'docker_container.a', 'create', 0),
      { type: 'change_summary', '@timestamp': at(3), '@message': 'Plan: 1 to add, 0 to change, 0 to destroy.', changes: { add: 1, operation: 'plan' } },
    ]);
    expect(out.at(-1)).toEqual([]);
    expect([item('docker_container.a').phase, p.summary]).toEqual(['running', undefined]);
    const s = apply(p, { type: 'change_summary', '@timestamp': at(9), '@message': 'Apply complete! Resources: 1 added, 0 changed, 0 destroyed.', changes: { add: 1, operation: 'apply' } }, subject, T0);
    expect(s).toEqual(['Apply complete! Resources: 1 added, 0 changed, 0 destroyed.']);
    expect([item('docker_container.a').phase, item('docker_container.a').endedAt, item('docker_container.a').step, p.summary]).toEqual(['done', T0 + 9000, undefined, 'Apply complete! Resources: 1 added, 0 changed, 0 destroyed.']);
    expect(apply(newProgress('x', T0), { type: 'change_summary', changes: { operation: 'destroy' } }, subject, T0)).toEqual([]);
  });

  it('reads only lines that are whole JSON objects with a type', () => {
    expect(parseEvent('{"type":"version"}')).toEqual({ type: 'version' });
    for (const line of [' {"type":"version"}', '{"kind":"version"}', '{"type":5}', '{"type":"x"', 'null', '[{"type":"x"}]', 'Error: boom']) expect(parseEvent(line), line).toBeUndefined();
  });

  it('times: seconds up to 59, then minutes and two-digit seconds; never negative', () => {
    expect([0, 59_499, 59_500, 60_000, 125_000, 3_600_000, -5000].map(seconds)).toEqual(['0s', '59s', '1m00s', '1m00s', '2m05s', '60m00s', '0s']);
  });
});

describe('subjects from the synthesized stack and the state before the run', () => {
  const stack = {
    provider: { docker: [{ alias: 'core', host: 'unix:///x' }, { alias: 'edge', host: 'ssh://root@edge' }] },
    resource: {
      docker_container: {
        svc_api_2: { provider: 'docker.edge', wait: true, labels: [{ label: 'stackyard.service', value: 'api' }, { label: 'stackyard.replica', value: '12' }, { label: 'stackyard.host', value: 'edge' }] },
        svc_celery_worker_3: { provider: 'docker.edge', must_run: false },
        odd: {},
      },
      docker_network: { net_edge_private: { name: 'e-private', provider: 'docker.edge' }, net_by_name_edge_x: { name: '${var.n}' } },
      github_actions_environment_secret: { s: { secret_name: 'X' } },
      terraform_data: { rev: {} },
    },
  } as never;
  const state = { resources: [
    { mode: 'managed', type: 'docker_container', name: 'svc_old_1', provider: 'provider["registry.opentofu.org/kreuzwerker/docker"].edge', instances: [{ attributes: { labels: [{ label: 'stackyard.service', value: 'old' }] } }] },
    { mode: 'data', type: 'docker_network', name: 'gone', instances: [{ attributes: { name: 'data-net' } }] },
    { mode: 'managed', type: 'docker_volume', name: 'in_module', module: 'module.m', instances: [{ attributes: { name: 'mod-vol' } }] },
    { mode: 'managed', type: 'docker_volume', name: 'no_instance', instances: [] },
  ] } as never;
  const of = subjectsOf(stack, state);

  it('a container: service, replica and host from its labels, else from its resource name and provider; what done means from wait and must_run', () => {
    expect(of('docker_container.svc_api_2')).toEqual({ host: 'edge', group: 'api', label: 'api-12', replica: 12, ready: 'healthy', internal: false });
    expect(of('docker_container.svc_celery_worker_3')).toEqual({ host: 'edge', group: 'celery-worker', label: 'celery-worker-3', replica: 3, ready: 'completed', internal: false });
    expect(of('docker_container.odd')).toEqual({ host: 'core', group: 'odd', label: 'odd-1', replica: 1, ready: 'running', internal: false });
    expect(of('module.a.module.b.docker_container.svc_api_2[0]')).toMatchObject({ host: 'edge', label: 'api-12' });
    // gone from the stack: what the state before the run says (a data source or a module's resource is not it)
    expect(of('docker_container.svc_old_1')).toMatchObject({ host: 'edge', group: 'old', label: 'old-1' });
  });

  it('other resources: their literal name, the host of their provider or named in their resource name, else the first host; GitHub settings on "github"; bookkeeping internal', () => {
    expect(of('docker_network.net_edge_private')).toEqual({ host: 'edge', group: '(networks)', label: 'e-private', ready: 'created', internal: false });
    expect(of('docker_network.net_by_name_edge_x')).toEqual({ host: 'edge', group: '(networks)', label: 'net_by_name_edge_x', ready: 'created', internal: false });
    expect(of('docker_network.gone')).toMatchObject({ host: 'core', label: 'gone' });
    expect(of('docker_volume.in_module')).toMatchObject({ label: 'in_module' });
    expect(of('docker_volume.no_instance')).toMatchObject({ label: 'no_instance' });
    expect(of('github_actions_environment_secret.s')).toEqual({ host: 'github', group: '(actions environment secret)', label: 's', ready: 'created', internal: false });
    expect(of('terraform_data.rev')).toMatchObject({ internal: true, group: '(terraform_datas)' });
    expect(of('docker_volume.x', 'docker_container')).toMatchObject({ group: 'x', label: 'x-1' }); // the type the engine names wins
    expect(of('not an address')).toMatchObject({ host: 'core', label: 'not an address' });
    // an image the stack no longer has: its reference from the id the engine names
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(of('docker_image.img', undefined, `${digest}registry.example.com/app:1`)).toMatchObject({ label: 'registry.example.com/app:1' });
    expect(of('docker_image.img', undefined, digest)).toMatchObject({ label: 'img' });
    expect(of('docker_image.img', undefined, `x${digest}app:1`)).toMatchObject({ label: 'img' });
    expect(subjectsOf({} as never)('docker_network.n')).toMatchObject({ host: '-' });
  });
});
