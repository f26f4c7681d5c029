/**
 * lib/deploy/host-store.ts against a `docker` that answers by rule (first on PATH): the docker
 * commands the deploy lock and the deploy record send, what each answer means (missing, taken,
 * failed), importing the marker image only when the host lacks it, and errors that name the host,
 * what failed and docker's last line. The real engine runs the same code in the e2e suites.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockLabels, type LockInfo } from '../lib/deploy/deploy-lock';
import { forgetHosts } from '../lib/deploy/host-docker';
import { createLock, HostError, localTags, readLock, readRecordsText, removeImage, removeLock, writeRecordsText } from '../lib/deploy/host-store';
import { tarOneFile, untarFirstFile } from '../lib/deploy/tar';
import { tempDir } from './helpers';

const H = 'tcp://203.0.113.9:2375';
const savedPath = process.env.PATH;
afterEach(() => {
  forgetHosts();
  process.env.PATH = savedPath;
});

/** An answer to the docker call whose arguments (joined by spaces) match `when`; stdout as bytes in base64; `once`: used for one call only. */
interface Rule { readonly when: string; readonly status?: number; readonly out?: string; readonly err?: string; readonly once?: boolean }

/** A fake docker first on PATH: answers with the first rule that matches; records each call, its DOCKER_HOST and its input. */
function fakeDocker(rules: Rule[]): { calls: () => { args: string[]; host: string; input: Buffer }[] } {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'rules.json'), JSON.stringify(rules));
  fs.writeFileSync(path.join(dir, 'docker'), `#!${process.execPath}
const fs = require('fs'), path = require('path');
const dir = ${JSON.stringify(dir)};
const args = process.argv.slice(2);
const input = fs.readFileSync(0);
fs.appendFileSync(path.join(dir, 'calls'), JSON.stringify({ args, host: process.env.DOCKER_HOST, input: input.toString('base64') }) + '\\n');
const usedFile = path.join(dir, 'used');
const used = fs.existsSync(usedFile) ? fs.readFileSync(usedFile, 'utf8').split(' ') : [];
const rules = JSON.parse(fs.readFileSync(path.join(dir, 'rules.json'), 'utf8'));
const at = rules.findIndex((r, i) => !used.includes(String(i)) && new RegExp(r.when).test(args.join(' ')));
if (at < 0) { process.stderr.write('no rule for: ' + args.join(' ') + '\\n'); process.exit(99); }
const rule = rules[at];
if (rule.once) fs.appendFileSync(usedFile, ' ' + at);
if (rule.out) process.stdout.write(Buffer.from(rule.out, 'base64'));
if (rule.err) process.stderr.write(rule.err);
process.exit(rule.status ?? 0);
`, { mode: 0o755 });
  process.env.PATH = `${dir}:${savedPath}`;
  return {
    calls: () => fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n').map((l) => {
      const c = JSON.parse(l);
      return { args: c.args, host: c.host, input: Buffer.from(c.input, 'base64') };
    }),
  };
}
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const args = (calls: { args: string[] }[]) => calls.map((c) => c.args.join(' '));

const info: LockInfo = { environment: 'e', holder: 'ann@box', since: '2026-12-01T10:00:00.000Z', message: 'release', run: false };

describe('the deploy lock on a host', () => {
  it('read: the labels of the lock container, with its id; none when the container is missing', () => {
    const { calls } = fakeDocker([{ when: '^container inspect', out: b64(`c0ffee ${JSON.stringify(lockLabels(info))}\n`) }]);
    expect(readLock(H, 'e')).toEqual({ ...info, id: 'c0ffee' });
    expect(calls()).toEqual([{ args: ['container', 'inspect', '--format', '{{.Id}} {{json .Config.Labels}}', 'stackyard-lock-e'], host: H, input: Buffer.alloc(0) }]);
    fakeDocker([{ when: '^container inspect', status: 1, err: 'Error: No such object: stackyard-lock-e\n' }]);
    expect(readLock(H, 'e')).toBeUndefined();
    // a container of that name without the lock's labels is no lock
    fakeDocker([{ when: '^container inspect', out: b64('c0ffee {"other":"x"}\n') }]);
    expect(readLock(H, 'e')).toBeUndefined();
  });

  it('read: any other failure stops, naming the host and docker\'s last line (or its exit status)', () => {
    fakeDocker([{ when: '^container inspect', status: 1, err: 'warning: slow\npermission denied\n\n' }]);
    expect(() => readLock(H, 'e')).toThrow(new HostError(`reading the deploy lock on ${H} failed: permission denied`));
    // a last line of blanks is no line
    fakeDocker([{ when: '^container inspect', status: 1, err: 'permission denied\n   \n' }]);
    expect(() => readLock(H, 'e')).toThrow(new HostError(`reading the deploy lock on ${H} failed: permission denied`));
    fakeDocker([{ when: '^container inspect', status: 3 }]);
    expect(() => readLock(H, 'e')).toThrow(new HostError(`reading the deploy lock on ${H} failed: exit 3`));
  });

  it('take: a marker container named for the environment, with the lock\'s labels; false when the name is taken', () => {
    const { calls } = fakeDocker([{ when: '^create', out: b64('id\n') }]);
    expect(createLock(H, info)).toBe(true);
    const labels = Object.entries(lockLabels(info)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    expect(calls().map((c) => c.args)).toEqual([['create', '--name', 'stackyard-lock-e', ...labels, 'stackyard/marker:1']]);
    for (const err of ['Error response from daemon: Conflict. The container name "/stackyard-lock-e" is already in use\n', 'name already in use\n']) {
      fakeDocker([{ when: '^create', status: 1, err }]);
      expect(createLock(H, info)).toBe(false);
    }
    fakeDocker([{ when: '^create', status: 1, err: 'no space left on device\n' }]);
    expect(() => createLock(H, info)).toThrow(new HostError(`taking the deploy lock on ${H} failed: no space left on device`));
  });

  it('take on a host without the marker image: imports the empty image (a tar with no entries), then creates', () => {
    const { calls } = fakeDocker([
      { when: '^create', once: true, status: 1, err: 'Unable to find image \'stackyard/marker:1\' locally\n' },
      { when: '^image inspect', status: 1, err: 'Error: No such image: stackyard/marker:1\n' },
      { when: '^import', out: b64('sha256:1\n') },
      { when: '^create', out: b64('id\n') },
    ]);
    expect(createLock(H, info)).toBe(true);
    const c = calls();
    expect(args(c).map((a) => a.split(' ')[0])).toEqual(['create', 'image', 'import', 'create']);
    expect(c[1].args).toEqual(['image', 'inspect', '--format', '{{.Id}}', 'stackyard/marker:1']);
    expect(c[2].args).toEqual(['import', '--change', 'LABEL stackyard.role=marker', '--change', 'CMD ["stackyard-marker"]', '-', 'stackyard/marker:1']);
    expect(c[2].input).toEqual(Buffer.alloc(1024, 0));
    expect(c[3].args).toEqual(c[0].args);
    // a create that succeeds while saying it had to find the image is done: nothing imported
    const pulled = fakeDocker([{ when: '^create', out: b64('id\n'), err: 'Unable to find image \'stackyard/marker:1\' locally\n' }]);
    expect(createLock(H, info)).toBe(true);
    expect(args(pulled.calls()).map((a) => a.split(' ')[0])).toEqual(['create']);
  });

  it('take: the image there already is not imported again; a failed import stops, naming the image', () => {
    const present = fakeDocker([
      { when: '^image inspect', out: b64('sha256:1\n') },
      { when: '^create', status: 1, err: 'No such image: stackyard/marker:1\n' },
    ]);
    expect(() => createLock(H, info)).toThrow(HostError);
    expect(args(present.calls()).map((a) => a.split(' ')[0])).toEqual(['create', 'image', 'create']);
    fakeDocker([
      { when: '^image inspect', status: 1, err: 'No such image\n' },
      { when: '^import', status: 1, err: 'import refused\n' },
      { when: '^create', status: 1, err: 'No such image: stackyard/marker:1\n' },
    ]);
    expect(() => createLock(H, info)).toThrow(new HostError(`importing stackyard/marker:1 on ${H} failed: import refused`));
    // another failure of create is not taken for a missing image
    const other = fakeDocker([{ when: '^create', status: 1, err: 'Conflict\n' }]);
    expect(createLock(H, info)).toBe(false);
    expect(args(other.calls())).toHaveLength(1);
  });

  it('release: the lock read (by id) or the environment\'s (by name); gone already is fine, any other failure stops', () => {
    const { calls } = fakeDocker([{ when: '^rm', out: b64('x\n') }]);
    removeLock(H, 'e', 'c0ffee');
    removeLock(H, 'e');
    expect(args(calls())).toEqual(['rm -f c0ffee', 'rm -f stackyard-lock-e']);
    fakeDocker([{ when: '^rm', status: 1, err: 'Error: No such container: stackyard-lock-e\n' }]);
    expect(() => removeLock(H, 'e')).not.toThrow();
    fakeDocker([{ when: '^rm', status: 1, err: 'Error: not found\n' }]);
    expect(() => removeLock(H, 'e')).not.toThrow();
    fakeDocker([{ when: '^rm', status: 1, err: 'device busy\n' }]);
    expect(() => removeLock(H, 'e')).toThrow(new HostError(`releasing the deploy lock on ${H} failed: device busy`));
  });

  it('a docker that cannot be started stops with the host named', () => {
    process.env.PATH = tempDir();
    expect(() => readLock(H, 'e')).toThrow(new RegExp(`^docker on ${H.replace(/[./]/g, '\\$&')}: spawnSync docker ENOENT`));
  });
});

describe('the deploy record on a host', () => {
  const record = (text: string) => b64(tarOneFile('deploys.jsonl', Buffer.from(text), 0));

  it('read: the file from the records container; none yet is empty', () => {
    const { calls } = fakeDocker([{ when: '^cp', out: record('{"a":1}\n') }]);
    expect(readRecordsText(H, 'e')).toBe('{"a":1}\n');
    expect(args(calls())).toEqual(['cp stackyard-records-e:/records/deploys.jsonl -']);
    // a read that succeeded is the answer, whatever docker printed beside it
    const noisy = fakeDocker([{ when: '^cp', out: record('{"b":2}\n'), err: 'No such container: elsewhere\n' }]);
    expect(readRecordsText(H, 'e')).toBe('{"b":2}\n');
    expect(args(noisy.calls())).toHaveLength(1);
    fakeDocker([{ when: '^cp', status: 1, err: 'Error: Could not find the file /records/deploys.jsonl in container stackyard-records-e\n' }]);
    expect(readRecordsText(H, 'e')).toBe('');
    // an archive without a file in it
    fakeDocker([{ when: '^cp', out: b64(Buffer.alloc(1024, 0)) }]);
    expect(readRecordsText(H, 'e')).toBe('');
  });

  it('read without the records container: creates it (the marker, the records volume, its label), then reads', () => {
    const { calls } = fakeDocker([
      { when: '^cp', once: true, status: 1, err: 'Error response from daemon: No such container: stackyard-records-e\n' },
      { when: '^cp', out: record('{"a":1}\n') },
      { when: '^container inspect', status: 1, err: 'Error: No such object\n' },
      { when: '^create', out: b64('id\n') },
    ]);
    expect(readRecordsText(H, 'e')).toBe('{"a":1}\n');
    expect(args(calls())).toEqual([
      'cp stackyard-records-e:/records/deploys.jsonl -',
      'container inspect --format {{.Id}} stackyard-records-e',
      'create --name stackyard-records-e --label stackyard.records=e -v stackyard-records-e:/records stackyard/marker:1',
      'cp stackyard-records-e:/records/deploys.jsonl -',
    ]);
    // created meanwhile by another run: fine
    fakeDocker([
      { when: '^cp', status: 1, err: 'No such container\n' },
      { when: '^container inspect', status: 1, err: 'No such object\n' },
      { when: '^create', status: 1, err: 'Conflict. The container name is already in use\n' },
    ]);
    expect(readRecordsText(H, 'e')).toBe('');
    fakeDocker([
      { when: '^cp', status: 1, err: 'No such container\n' },
      { when: '^container inspect', status: 1, err: 'No such object\n' },
      { when: '^create', status: 1, err: 'disk full\n' },
    ]);
    expect(() => readRecordsText(H, 'e')).toThrow(new HostError(`creating the record container on ${H} failed: disk full`));
  });

  it('read: any other failure stops', () => {
    fakeDocker([{ when: '^cp', status: 1, err: 'permission denied\n' }]);
    expect(() => readRecordsText(H, 'e')).toThrow(new HostError(`reading the deploy record on ${H} failed: permission denied`));
  });

  it('write: the whole file as a one-file archive into the records volume, the container made first when missing', () => {
    const { calls } = fakeDocker([{ when: '^container inspect', out: b64('id\n') }, { when: '^cp', out: b64('') }]);
    writeRecordsText(H, 'e', '{"a":1}\n{"b":2}\n');
    const c = calls();
    expect(args(c)).toEqual(['container inspect --format {{.Id}} stackyard-records-e', 'cp - stackyard-records-e:/records']);
    expect(untarFirstFile(c[1].input)?.toString('utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(c[1].input.subarray(0, 13).toString('latin1')).toBe('deploys.jsonl');
    // stamped with the time it was written, in seconds
    const mtime = parseInt(c[1].input.subarray(136, 148).toString('latin1'), 8);
    expect(Math.abs(mtime - Date.now() / 1000)).toBeLessThan(120);
    fakeDocker([{ when: '^container inspect', out: b64('id\n') }, { when: '^cp', status: 1, err: 'read-only file system\n' }]);
    expect(() => writeRecordsText(H, 'e', 'x')).toThrow(new HostError(`writing the deploy record on ${H} failed: read-only file system`));
  });
});

describe('images on a host', () => {
  it('the local tags of a repository, one a line, blanks dropped; a failure stops', () => {
    const { calls } = fakeDocker([{ when: '^images', out: b64('v1\n  v2 \n\n<none>\n') }]);
    expect(localTags(H, 'app/api')).toEqual(['v1', 'v2', '<none>']);
    expect(args(calls())).toEqual(['images app/api --format {{.Tag}}']);
    fakeDocker([{ when: '^images', status: 1, err: 'daemon down\n' }]);
    expect(() => localTags(H, 'app/api')).toThrow(new HostError(`listing app/api images on ${H} failed: daemon down`));
  });

  it('removing a tag: true when docker removed it, false when it refused (a container uses it)', () => {
    fakeDocker([{ when: '^rmi app/api:v1$', out: b64('Untagged\n') }, { when: '^rmi', status: 1, err: 'conflict: image is being used\n' }]);
    expect(removeImage(H, 'app/api:v1')).toBe(true);
    expect(removeImage(H, 'app/api:v2')).toBe(false);
  });
});
