/**
 * The decisions behind `stackyard lock`, `audit`, `releases`, `rollback`, image pruning, the
 * plan headline, the terminal plan and incremental synth. The Docker side of the lock and the
 * record is exercised on the real engine in test/e2e/cli.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, isStale, markExecutable, sourceHash, writeStamp } from '../lib/cli/freshness';
import { decideRelease, decideRunLock, describeLock, lockLabels, parseLockLabels, pidAlive, thisProcess, whoAmI, type LockInfo } from '../lib/deploy/deploy-lock';
import { appendRecord, formatRecords, MAX_RECORDS, parseRecords, planHeadline, releases, rollbackTarget, tagsToKeep, tagsToPrune, type DeployRecord } from '../lib/deploy/records';
import { asksForInit, initKey, releaseRepositories, releaseTagOf } from '../lib/deploy/run';
import { tarOneFile, untarFirstFile } from '../lib/deploy/tar';
import { markdownForTerminal } from '../lib/plan/terminal';
import { parsePlan, renderSummary } from '../lib/plan/summary';
import { tempDir } from './helpers';

const rec = (tag: string, at: string, extra: Partial<DeployRecord> = {}): DeployRecord => ({
  at, who: 'alice@laptop', environment: 'prod', action: 'deploy', tag, headline: '1 to add, 0 to change, 0 to destroy', result: 'success', seconds: 12, ...extra,
});

describe('deploy lock decisions', () => {
  const now = new Date('2025-03-01T10:30:00Z');
  const held: LockInfo = { environment: 'prod', holder: 'alice@laptop', since: '2025-03-01T10:18:00Z', message: 'migrating the database', run: false };

  it('a deploy takes a free lock, goes on under its own, and refuses naming who, since when and why', () => {
    expect(decideRunLock('prod', undefined, 'bob@ci', 'deployed', now)).toEqual({ kind: 'take' });
    expect(decideRunLock('prod', held, 'alice@laptop', 'deployed', now)).toEqual({ kind: 'mine' });
    const d = decideRunLock('prod', held, 'bob@ci', 'deployed', now);
    expect(d.kind).toBe('refuse');
    expect(d.kind === 'refuse' && d.message).toContain('prod is locked, held by alice@laptop since 2025-03-01T10:18:00Z (12 min ago): migrating the database; nothing was deployed');
  });

  it('a lock another run of mine holds (a running or crashed deploy) still refuses', () => {
    expect(decideRunLock('prod', { ...held, run: true }, 'alice@laptop', 'deployed', now).kind).toBe('refuse');
    expect(describeLock({ ...held, run: true, message: '' }, now)).toContain(': a deploy in progress');
  });

  it('a run lock whose process is gone on this machine and boot is taken over, saying whose it was; anything else still refuses', () => {
    const me = { machine: 'ci-1', boot: 'b00t', pid: 200 };
    const dead = { ...held, run: true, process: { machine: 'ci-1', boot: 'b00t', pid: 100 } };
    const alive = (pids: number[]) => ({ process: me, alive: (p: number) => pids.includes(p) });
    const d = decideRunLock('prod', dead, 'bob@ci', 'deployed', now, alive([]));
    expect(d).toEqual({ kind: 'stale', message: 'took over the deploy lock of prod held by alice@laptop since 2025-03-01T10:18:00Z (12 min ago): migrating the database: its run (pid 100 on this machine) ended without releasing it' });
    // its process still runs: a deploy in progress
    expect(decideRunLock('prod', dead, 'bob@ci', 'deployed', now, alive([100])).kind).toBe('refuse');
    // another machine, or the same hostname after a reboot, or no boot id: a pid proves nothing there
    expect(decideRunLock('prod', { ...dead, process: { ...dead.process, machine: 'ci-2' } }, 'bob@ci', 'deployed', now, alive([])).kind).toBe('refuse');
    expect(decideRunLock('prod', { ...dead, process: { ...dead.process, boot: 'other' } }, 'bob@ci', 'deployed', now, alive([])).kind).toBe('refuse');
    expect(decideRunLock('prod', { ...dead, process: { ...dead.process, boot: '' } }, 'bob@ci', 'deployed', now, { process: { ...me, boot: '' }, alive: () => false }).kind).toBe('refuse');
    // a person's lock (lock acquire) is never stale, whatever its process
    expect(decideRunLock('prod', { ...dead, run: false }, 'bob@ci', 'deployed', now, alive([])).kind).toBe('refuse');
    // without a view of this machine (no `here`), nothing is judged
    expect(decideRunLock('prod', dead, 'bob@ci', 'deployed', now).kind).toBe('refuse');
  });

  it('the process label round-trips; a malformed one is ignored', () => {
    const info: LockInfo = { ...held, run: true, process: { machine: 'ci-1', boot: 'b00t', pid: 4242 } };
    const l = lockLabels(info);
    expect(l['stackyard.lock.process']).toBe('ci-1 b00t 4242');
    expect(parseLockLabels(l)).toEqual(info);
    expect(parseLockLabels(lockLabels({ ...info, process: { ...info.process!, boot: '' } }))?.process?.boot).toBe('');
    expect(parseLockLabels({ ...l, 'stackyard.lock.process': 'ci-1 b00t 0; rm -rf' })?.process).toBeUndefined();
    expect(thisProcess().pid).toBe(process.pid);
    // the boot id and the pid namespace: a container on the same kernel is another place
    expect(thisProcess().boot).toMatch(/^[0-9a-f-]{36}\.\d+$/);
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(2 ** 22 + 1)).toBe(false); // above Linux's pid_max
    // a zombie (killed, not yet reaped by init) is gone; a sleeping or running process is not
    expect(pidAlive(process.pid, () => `${process.pid} (node (x) y) Z 1 2 3`)).toBe(false);
    expect(pidAlive(process.pid, () => `${process.pid} (node) X 1 2 3`)).toBe(false);
    expect(pidAlive(process.pid, () => `${process.pid} (node) S 1 2 3`)).toBe(true);
    expect(pidAlive(process.pid, () => { throw new Error('no /proc'); })).toBe(true);
  });

  it('only the holder releases, or anyone with --force', () => {
    expect(decideRelease('prod', held, 'alice@laptop', false, now)).toEqual({ kind: 'release' });
    expect(decideRelease('prod', held, 'bob@ci', true, now)).toEqual({ kind: 'release' });
    expect(decideRelease('prod', held, 'bob@ci', false, now).kind).toBe('refuse');
    expect(decideRelease('prod', undefined, 'bob@ci', false, now)).toEqual({ kind: 'none' });
  });

  it('labels round-trip; control characters in a message cannot forge lines', () => {
    const l = lockLabels({ ...held, message: 'line one\nstackyard: fake' });
    expect(l['stackyard.lock.message']).toBe('line one stackyard: fake');
    expect(parseLockLabels(l)).toEqual({ ...held, message: 'line one stackyard: fake' });
    expect(parseLockLabels({ 'com.example': 'x' })).toBeUndefined();
    expect(parseLockLabels(null)).toBeUndefined();
  });

  it('who: STACKYARD_WHO, else the GitHub actor in Actions, else user@host', () => {
    expect(whoAmI({ STACKYARD_WHO: 'carol' })).toBe('carol');
    expect(whoAmI({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'dave', GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '42' })).toBe('dave (GitHub Actions acme/app run 42)');
    expect(whoAmI({})).toMatch(/^[^@\s]+@\S+$/);
    const local = whoAmI({});
    // control characters become spaces, the ends are trimmed, at most 200 characters
    expect(whoAmI({ STACKYARD_WHO: ' carol\tsmith\n' })).toBe('carol smith');
    expect(whoAmI({ STACKYARD_WHO: 'x'.repeat(300) })).toBe('x'.repeat(200));
    // a blank STACKYARD_WHO names nobody: the next rule decides
    expect(whoAmI({ STACKYARD_WHO: ' \t', GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'dave' })).toBe('dave (GitHub Actions  run ?)');
    // the actor counts only inside Actions, and Actions only with an actor
    expect(whoAmI({ GITHUB_ACTOR: 'dave' })).toBe(local);
    expect(whoAmI({ GITHUB_ACTIONS: 'true' })).toBe(local);
    expect(whoAmI({ GITHUB_ACTIONS: 'false', GITHUB_ACTOR: 'dave' })).toBe(local);
  });

  it('a lock read from labels: what is missing is empty (the holder "?" never, it is what makes a lock); the age in minutes, then hours; an unreadable time said so', () => {
    expect(parseLockLabels({ 'stackyard.lock.holder': 'x' })).toEqual({ environment: '', holder: 'x', since: '', message: '', run: false });
    expect(lockLabels({ ...held, run: false })['stackyard.lock.run']).toBe('false');
    expect(lockLabels({ ...held, run: true })['stackyard.lock.run']).toBe('true');
    // the process label whole, or not at all
    for (const v of ['ci-1 b00t 4242 more', 'x ci-1 b00t 4242', 'ci-1 b00t']) expect(parseLockLabels({ ...lockLabels(held), 'stackyard.lock.process': v })?.process, v).toBeUndefined();
    const at = (minutes: number) => describeLock({ ...held, since: new Date(now.getTime() - minutes * 60000).toISOString() }, now);
    expect(at(119)).toContain('(119 min ago)');
    expect(at(120)).toContain('(2 h ago)');
    expect(at(150)).toContain('(3 h ago)');
    expect(at(-5)).toContain('(0 min ago)'); // a clock behind the holder's
    expect(describeLock({ ...held, since: 'yesterday-ish' }, now)).toBe('held by alice@laptop since yesterday-ish (an unknown time): migrating the database');
    expect(describeLock({ ...held, message: '' }, now)).toBe('held by alice@laptop since 2025-03-01T10:18:00Z (12 min ago): no reason given');
  });
});

describe('deploy record', () => {
  it('appends one JSON line per run; torn or foreign lines are skipped; bounded', () => {
    let text = appendRecord('', rec('r1', '2025-03-01T10:00:00Z'));
    text = appendRecord(text + '{"torn":\nnot json\n', rec('r2', '2025-03-02T10:00:00Z', { who: 'bob\u001b[31m' }));
    const all = parseRecords(text);
    expect(all.map((r) => r.tag)).toEqual(['r1', 'r2']);
    expect(all[1].who).toBe('bob [31m');
    let big = '';
    for (let i = 0; i < MAX_RECORDS + 5; i++) big = appendRecord(big, rec(`t${i}`, new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString()));
    expect(parseRecords(big)).toHaveLength(MAX_RECORDS);
    expect(parseRecords(big)[0].tag).toBe('t5');
  });

  it('releases: successful deploys and rollbacks with a tag, newest first; downs and failures are not releases', () => {
    const records = [
      rec('r1', '2025-03-01T10:00:00Z'),
      rec('r2', '2025-03-02T10:00:00Z', { result: 'failed' }),
      rec('-', '2025-03-03T10:00:00Z', { action: 'down' }),
      rec('r3', '2025-03-04T10:00:00Z'),
      rec('r1', '2025-03-05T10:00:00Z', { action: 'rollback' }),
    ];
    expect(releases(records).map((r) => `${r.action} ${r.tag}`)).toEqual(['rollback r1', 'deploy r3', 'deploy r1']);
    // a deploy that names no release tag (the stack's own tags only) is no release to roll back to
    expect(releases([...records, rec('-', '2025-03-06T10:00:00Z')]).map((r) => r.tag)).toEqual(['r1', 'r3', 'r1']);
    const lines = formatRecords(records.slice().reverse(), new Date('2025-03-05T10:10:00Z'));
    expect(lines[0]).toMatch(/^when\s+who\s+action\s+tag\s+result\s+took\s+plan$/);
    expect(lines[1]).toMatch(/^2025-03-05T10:00:00Z\s+10 min ago\s+alice@laptop\s+rollback\s+r1\s+success\s+12s\s+1 to add/);
  });

  it('rollback goes to the newest release before the current one, or to a named release it knows', () => {
    const records = [rec('r1', '2025-03-01T10:00:00Z'), rec('r2', '2025-03-02T10:00:00Z'), rec('r2', '2025-03-03T10:00:00Z'), rec('r3', '2025-03-04T10:00:00Z', { result: 'failed' })];
    expect(rollbackTarget('prod', records)).toEqual({ tag: 'r1' });
    expect(rollbackTarget('prod', records, 'r2')).toEqual({ tag: 'r2' });
    expect(rollbackTarget('prod', records, 'r3')).toEqual({ error: 'prod has no release r3 in its record; its releases, newest first: r2, r1' });
    expect(rollbackTarget('prod', records, 'bad tag;')).toHaveProperty('error');
    expect(rollbackTarget('prod', [rec('r1', '2025-03-01T10:00:00Z')])).toEqual({ error: 'prod has only one release (r1) in its record: nothing older to roll back to' });
    expect(rollbackTarget('prod', [])).toEqual({ error: 'prod has no release in its record yet: nothing to roll back to' });
  });

  it('pruning keeps the newest N releases and never touches a tag this environment did not release', () => {
    const records = ['r1', 'r2', 'r3', 'r4'].map((t, i) => rec(t, `2025-03-0${i + 1}T10:00:00Z`));
    expect([...tagsToKeep(records, 2)]).toEqual(['r4', 'r3']);
    expect(tagsToPrune(['r1', 'r2', 'r3', 'r4', 'latest', 'other-env', '<none>'], records, 2)).toEqual(['r1', 'r2']);
    expect(tagsToPrune(['r1', 'r2', 'r3', 'r4'], records, 5)).toEqual([]);
    // sorted whatever order the host listed them in
    expect(tagsToPrune(['r2', 'latest', 'r1'], records, 2)).toEqual(['r1', 'r2']);
  });

  it('a line is a record only with a real time, a tag, a known action and result; text fields are cleaned and cut', () => {
    const ok = { at: '2025-03-01T10:00:00Z', who: 'a', environment: 'prod', action: 'deploy', tag: 'r1', headline: 'h', result: 'success', seconds: 3 };
    const bad = [{ ...ok, at: 'yesterday' }, { ...ok, at: 5 }, { ...ok, tag: 1 }, { ...ok, result: 'ok' }, { ...ok, action: 'apply' }, null, [ok], 'x', 5];
    expect(parseRecords(bad.map((b) => JSON.stringify(b)).join('\n'))).toEqual([]);
    for (const action of ['deploy', 'rollback', 'down']) for (const result of ['success', 'failed']) expect(parseRecords(JSON.stringify({ ...ok, action, result }))).toHaveLength(1);
    const long = parseRecords(JSON.stringify({ ...ok, who: 'w'.repeat(300), environment: `e\t${'e'.repeat(200)}`, tag: 't'.repeat(200), headline: `h\u007f${'h'.repeat(400)}`, seconds: '3' }))[0];
    expect(long).toEqual({ ...ok, who: 'w'.repeat(200), environment: `e ${'e'.repeat(98)}`, tag: 't'.repeat(128), headline: `h ${'h'.repeat(298)}`, seconds: 0 });
    expect(parseRecords(JSON.stringify({ ...ok, who: 5, environment: null, headline: undefined }))[0]).toMatchObject({ who: '', environment: '', headline: '' });
    // blank lines and a file without a trailing newline
    expect(parseRecords(`\n  \n${JSON.stringify(ok)}`)).toEqual([ok]);
    // exactly MAX_RECORDS kept: the oldest beyond that goes
    let text = '';
    for (let i = 0; i < MAX_RECORDS; i++) text += `${JSON.stringify({ ...ok, tag: `t${i}` })}\n`;
    expect(parseRecords(appendRecord(text, rec('new', ok.at))).map((r) => r.tag).slice(0, 1)).toEqual(['t1']);
    expect(parseRecords(appendRecord(text, rec('new', ok.at)))).toHaveLength(MAX_RECORDS);
    expect(appendRecord('', rec('a', ok.at))).toBe(`${JSON.stringify(rec('a', ok.at))}\n`);
  });

  it('newest first: by time, and at the same time the later line first; keeping N counts distinct tags', () => {
    const same = [rec('a', '2025-03-01T10:00:00Z'), rec('b', '2025-03-01T10:00:00Z'), rec('c', '2025-02-01T10:00:00Z')];
    expect(releases(same).map((r) => r.tag)).toEqual(['b', 'a', 'c']);
    const repeated = [rec('r1', '2025-03-01T10:00:00Z'), rec('r2', '2025-03-02T10:00:00Z'), rec('r2', '2025-03-03T10:00:00Z'), rec('r3', '2025-03-04T10:00:00Z', { tag: '-' })];
    expect([...tagsToKeep(repeated, 2)]).toEqual(['r2', 'r1']);
    expect([...tagsToKeep(repeated, 0)]).toEqual([]);
    expect(tagsToPrune(['r1', 'r1', 'r2'], repeated, 1)).toEqual(['r1']);
  });

  it('rollback\'s refusals say what a tag is and what the record holds', () => {
    expect(rollbackTarget('prod', [], 'bad tag;')).toEqual({ error: '"bad tag;" is not a Docker tag (letters, digits, _ . -, up to 128 characters)' });
    expect(rollbackTarget('prod', [], `x${'y'.repeat(200)} ;`)).toEqual({ error: `${JSON.stringify(`x${'y'.repeat(139)}`)} is not a Docker tag (letters, digits, _ . -, up to 128 characters)` });
    expect(rollbackTarget('prod', [], 'r1')).toEqual({ error: 'prod has no release r1 in its record (no successful deploy recorded yet)' });
    const twelve = Array.from({ length: 12 }, (_, i) => rec(`r${i}`, new Date(Date.UTC(2025, 0, 1 + i)).toISOString()));
    expect(rollbackTarget('prod', twelve, 'zz')).toEqual({ error: 'prod has no release zz in its record; its releases, newest first: r11, r10, r9, r8, r7, r6, r5, r4, r3, r2' });
    // the newest release first, even when an older one is repeated after it
    expect(rollbackTarget('prod', [rec('r1', '2025-03-01T10:00:00Z'), rec('r2', '2025-03-03T10:00:00Z'), rec('r1', '2025-03-02T10:00:00Z')])).toEqual({ tag: 'r1' });
  });

  it('audit: times without fractions, how long ago at each unit boundary, columns padded, the last not', () => {
    const now = new Date('2025-03-10T00:00:00.000Z');
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const agoOf = (ms: number) => formatRecords([rec('r', at(ms))], now)[1].split(/\s{2,}/)[1];
    expect([89_400, 89_600, 90_000, 89 * 60_000 + 29_000, 90 * 60_000, 36 * 3_600_000 - 1_000, 36 * 3_600_000, -5_000].map(agoOf))
      .toEqual(['89s ago', '2 min ago', '2 min ago', '89 min ago', '2 h ago', '36 h ago', '2 days ago', '0s ago']);
    const lines = formatRecords([rec('r1', '2025-03-09T23:59:00.123Z', { who: 'bob', headline: 'no changes' }), rec('release-22', '2025-03-09T23:58:00Z', { seconds: 100, headline: '' })], now);
    expect(lines).toEqual([
      'when                             who           action  tag         result   took  plan',
      '2025-03-09T23:59:00Z  60s ago    bob           deploy  r1          success  12s   no changes',
      '2025-03-09T23:58:00Z  2 min ago  alice@laptop  deploy  release-22  success  100s',
    ]);
  });

  it('the plan headline comes from the engine output', () => {
    expect(planHeadline(['', 'Plan: 3 to add, 1 to change, 0 to destroy.', ''])).toBe('3 to add, 1 to change, 0 to destroy');
    expect(planHeadline(['No changes. Your infrastructure matches the configuration.'])).toBe('no changes');
    expect(planHeadline(['Error: boom'])).toBe('plan headline not found');
    // counts of any size; indented lines are read; a line that only mentions a plan is not the headline
    expect(planHeadline(['  Plan: 12 to add, 10 to change, 100 to destroy.'])).toBe('12 to add, 10 to change, 100 to destroy');
    expect(planHeadline(['  No changes. Your infrastructure matches the configuration.'])).toBe('no changes');
    expect(planHeadline(['Error: Plan: 1 to add, 0 to change, 0 to destroy', 'Error: No changes. were expected'])).toBe('plan headline not found');
    // the change_summary message of `apply -json`, whose empty plan is no `No changes.` line
    expect(planHeadline(['Plan: 0 to add, 0 to change, 0 to destroy.'])).toBe('no changes');
  });
});

describe('the tar docker cp reads and writes', () => {
  it('round-trips one file, and GNU tar reads it', () => {
    const body = Buffer.from('{"a":1}\n'.repeat(100));
    const archive = tarOneFile('deploys.jsonl', body, 1_700_000_000);
    expect(archive.length % 512).toBe(0);
    expect(untarFirstFile(archive)?.equals(body)).toBe(true);
    const dir = tempDir();
    const file = path.join(dir, 'a.tar');
    fs.writeFileSync(file, archive);
    const r = spawnSync('tar', ['-xOf', file, 'deploys.jsonl']);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(body)).toBe(true);
    expect(untarFirstFile(Buffer.alloc(1024))).toBeUndefined();
  });

  it('every header field as Python\'s tarfile reads it (it checks the checksum): name, mode 0600, root, size, mtime, a regular file, ustar', () => {
    const file = path.join(tempDir(), 'a.tar');
    fs.writeFileSync(file, tarOneFile('deploys.jsonl', Buffer.from('x'.repeat(700)), 1_700_000_123));
    const py = "import tarfile,sys,json\nt=tarfile.open(sys.argv[1])\nm=t.getmembers()\nprint(json.dumps([[i.name,oct(i.mode),i.uid,i.gid,i.size,i.mtime,i.isreg(),i.type.decode(),t.fileobj is not None] for i in m]))\nprint(t.extractfile(m[0]).read().decode()==('x'*700))";
    const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const [members, same] = r.stdout.trim().split('\n');
    expect(JSON.parse(members)).toEqual([['deploys.jsonl', '0o600', 0, 0, 700, 1_700_000_123, true, '0', true]]);
    expect(same).toBe('True');
    // ustar magic and version, as GNU tar's --format=ustar writes them
    const header = fs.readFileSync(file).subarray(0, 512);
    expect(header.subarray(257, 265).toString('latin1')).toBe('ustar\u000000');
  });

  it('the header is byte for byte the one GNU tar writes for the same file (ustar, numeric owner 0:0, mode 0600)', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'deploys.jsonl'), 'x'.repeat(700));
    const r = spawnSync('tar', ['--format=ustar', '--numeric-owner', '--owner=0', '--group=0', '--mode=0600', '--mtime=@1700000123', '-cf', '-', '-C', dir, 'deploys.jsonl']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const ours = tarOneFile('deploys.jsonl', Buffer.from('x'.repeat(700)), 1_700_000_123);
    expect(ours.subarray(0, 512).toString('latin1')).toBe(r.stdout.subarray(0, 512).toString('latin1'));
    // the content and its padding too; GNU tar then pads the archive to its record size with zeros
    expect(ours.subarray(0, 1536).equals(r.stdout.subarray(0, 1536))).toBe(true);
    expect(r.stdout.subarray(1536).every((b: number) => b === 0)).toBe(true);
  });

  it('a pre-POSIX (v7) regular file, type NUL, is read too', () => {
    const v7 = Buffer.from(tarOneFile('old', Buffer.from('data')));
    v7[156] = 0;
    expect(untarFirstFile(v7)?.toString()).toBe('data');
  });

  it('sizes: an empty file and one of exactly a block need no padding; the archive ends with two zero blocks', () => {
    expect(tarOneFile('e', Buffer.alloc(0)).length).toBe(512 + 1024);
    expect(untarFirstFile(tarOneFile('e', Buffer.alloc(0)))?.length).toBe(0);
    const block = Buffer.alloc(512, 65);
    const a = tarOneFile('b', block);
    expect(a.length).toBe(512 + 512 + 1024);
    expect(a.subarray(1024).every((b) => b === 0)).toBe(true);
    expect(untarFirstFile(a)?.equals(block)).toBe(true);
    expect(tarOneFile('c', Buffer.alloc(513, 66)).length).toBe(512 + 1024 + 1024);
  });

  it('a name over 99 bytes is refused; reading skips what is not a regular file (a folder GNU tar put first)', () => {
    expect(() => tarOneFile('n'.repeat(100), Buffer.from('x'))).toThrow(`tar: file name too long: ${'n'.repeat(100)}`);
    expect(tarOneFile('n'.repeat(99), Buffer.from('x')).length).toBe(512 + 512 + 1024);
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'records'));
    fs.writeFileSync(path.join(dir, 'records', 'deploys.jsonl'), 'line one\n'.repeat(80));
    const r = spawnSync('tar', ['-cf', '-', '--format=ustar', '-C', dir, 'records']);
    expect(r.status).toBe(0);
    expect(String.fromCharCode(r.stdout[156])).toBe('5'); // the folder first
    expect(untarFirstFile(r.stdout)?.toString('utf8')).toBe('line one\n'.repeat(80));
    expect(untarFirstFile(Buffer.alloc(0))).toBeUndefined();
    expect(untarFirstFile(r.stdout.subarray(0, 512))).toBeUndefined(); // the folder alone, cut short
    // an entry with content that is no regular file (a pax header, which a long name brings) is skipped by its size
    const long = `${'l'.repeat(120)}.jsonl`;
    fs.writeFileSync(path.join(dir, long), 'after the pax header\n');
    const pax = spawnSync('tar', ['-cf', '-', '--format=pax', '-C', dir, long]);
    expect(pax.status).toBe(0);
    expect(String.fromCharCode(pax.stdout[156])).toBe('x');
    expect(parseInt(pax.stdout.subarray(124, 136).toString('latin1'), 8)).toBeGreaterThan(0);
    expect(untarFirstFile(pax.stdout)?.toString('utf8')).toBe('after the pax header\n');
    // a header that ends the buffer exactly is still read (an empty file needs nothing after it)
    expect(untarFirstFile(tarOneFile('e', Buffer.alloc(0)).subarray(0, 512))?.length).toBe(0);
  });
});

describe('release tag and repositories of a stack', () => {
  const stack = {
    provider: { docker: [{ alias: 'core', host: 'ssh://core' }, { alias: 'edge', host: 'ssh://edge' }] },
    variable: { RELEASE_TAG: { default: 'r7' } },
    resource: { docker_image: {
      a: { name: 'ghcr.io/acme/backend:${var.RELEASE_TAG}', provider: 'docker.core' },
      b: { name: 'ghcr.io/acme/backend:${var.RELEASE_TAG}', provider: 'docker.edge' },
      c: { name: 'postgres:17', provider: 'docker.core' },
    } },
  };
  it('the tag deployed: TF_VAR_RELEASE_TAG, else the pinned default; `-` without release:', () => {
    expect(releaseTagOf(stack, new Map(), {})).toBe('r7');
    expect(releaseTagOf(stack, new Map(), { TF_VAR_RELEASE_TAG: 'r8' })).toBe('r8');
    expect(releaseTagOf(stack, new Map([['TF_VAR_RELEASE_TAG', 'r6']]), { TF_VAR_RELEASE_TAG: 'r8' })).toBe('r6');
    expect(releaseTagOf({}, new Map(), { TF_VAR_RELEASE_TAG: 'r8' })).toBe('-');
  });
  it('only the images tagged with the release, per host', () => {
    expect(releaseRepositories(stack)).toEqual([{ host: 'ssh://core', repository: 'ghcr.io/acme/backend' }, { host: 'ssh://edge', repository: 'ghcr.io/acme/backend' }]);
  });
});

describe('one tofu init per terraform block', () => {
  it('the init key changes with the backend, encryption or providers, not with resources', () => {
    const a = { terraform: { backend: { local: { path: 'x' } } }, resource: { docker_container: {} } };
    expect(initKey(a)).toBe(initKey({ ...a, resource: { docker_container: { c: {} } } }));
    expect(initKey(a)).not.toBe(initKey({ ...a, terraform: { backend: { local: { path: 'y' } } } }));
  });
  it('an engine that asks for init is recognised, other failures are not', () => {
    expect(asksForInit(['Error: Backend initialization required, please run "tofu init"'])).toBe(true);
    expect(asksForInit(['Error: Inconsistent dependency lock file'])).toBe(true);
    expect(asksForInit(['Error: container exited with code 1'])).toBe(false);
  });
});

describe('plan for a terminal', () => {
  it('the comment without Markdown or HTML: headlines, data-loss caution, details per host and service', () => {
    const plan = JSON.stringify({ format_version: '1.2', resource_changes: [
      { address: 'docker_volume.vol_main_db_data', type: 'docker_volume', name: 'vol_main_db_data', change: { actions: ['delete'], before: { name: 'prod-db-data' }, after: null } },
      { address: 'docker_container.svc_api_1', type: 'docker_container', name: 'svc_api_1', change: { actions: ['update'], before: { name: 'prod-api-1', memory: 256 }, after: { name: 'prod-api-1', memory: 512 } } },
    ] });
    const p = parsePlan('prod', plan);
    const md = renderSummary([p]).markdown;
    const t = markdownForTerminal(md);
    expect(t).not.toMatch(/<\/?details>|<summary>|<!--|\*\*|`/);
    expect(t).toContain('prod: 0 to add, 1 to change, 0 to replace, 1 to destroy');
    expect(t).toContain('CAUTION');
    expect(t).toMatch(/memory: 256 → 512/);
  });
});

describe('incremental synth: dist is rebuilt only when a source changed', () => {
  it('a recorded hash is fresh until a .ts file, tsconfig.json or package.json changes', () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'lib', 'x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lib', 'x', 'a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'tsconfig.json'), '{}');
    expect(isStale(root).stale).toBe(true); // never built
    writeStamp(root, sourceHash(root)!);
    expect(isStale(root).stale).toBe(false);
    fs.writeFileSync(path.join(root, 'lib', 'x', 'notes.md'), 'not compiled');
    expect(isStale(root).stale).toBe(false);
    fs.writeFileSync(path.join(root, 'lib', 'x', 'a.ts'), 'export const a = 2;\n');
    expect(isStale(root).stale).toBe(true);
    writeStamp(root, sourceHash(root)!);
    fs.writeFileSync(path.join(root, 'tsconfig.json'), '{"compilerOptions":{}}');
    expect(isStale(root).stale).toBe(true);
    expect(sourceHash(tempDir())).toBeUndefined(); // an installed package: no sources, never rebuilt
    // a declaration file is not compiled: it does not make the build stale
    writeStamp(root, sourceHash(root)!);
    fs.writeFileSync(path.join(root, 'lib', 'x', 'types.d.ts'), 'export type T = 1;\n');
    expect(isStale(root).stale).toBe(false);
    // an installed package with a stamp of its own is not stale either, and has no hash to record
    const installed = tempDir();
    writeStamp(installed, 'abc');
    expect(isStale(installed)).toStrictEqual({ stale: false });
  });

  it('a build leaves the command executable, as npx runs it through a link it made once (a 0644 script was "Permission denied")', () => {
    const root = tempDir();
    markExecutable(root); // nothing built: nothing to do
    fs.mkdirSync(path.join(root, 'dist', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(root, BIN), '#!/usr/bin/env node\n', { mode: 0o644 });
    markExecutable(root);
    expect(fs.statSync(path.join(root, BIN)).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.resolve(__dirname, '..', BIN)).mode & 0o111).toBe(0o111); // npm run build did it here
  });

  it('npm run build recorded the hash of this checkout', () => {
    const root = path.resolve(__dirname, '..');
    expect(isStale(root).stale).toBe(false);
  });
});
