/**
 * The decisions of the day-2 commands (lib/ops/): host connections, status (expected vs actual),
 * logs merging, one-off exec plans, the maintenance page's routes, host checks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { keptByReaper } from '../lib/deploy/orphans';
import { HostConnection, HostError, lastLine, runProcess, shellWord, sshOptionsFor, sshWrapperScript, which, withHosts } from '../lib/ops/docker';
import { envFile, oneOffPlan, pickSource, uploadedFiles, type SourceContainer } from '../lib/ops/exec';
import type { Service } from '../lib/service';
import { blocksDeploy, checkHost, classifyConnectionError, formatBytes, clockVerdict, diskVerdict, engineVerdict, formatHostCheck, freeOnRoot, NFS_PROBE, nfsVerdict, onHostShell, parseDf, versionAtLeast, type HostCheck } from '../lib/ops/hosts';
import { formatLine, LineSplitter, mergeByTime, parseTimestamped, prefixOf, servicesNamed, timestampKey, validSince, validTail } from '../lib/ops/logs';
import { DEFAULT_MESSAGE, escapeHtml, maintenanceCreateArgs, maintenanceLabels, maintenancePage, MAINTENANCE_PRIORITY } from '../lib/ops/maintenance';
import { CliError } from '../lib/cli/exit-codes';
import { expectedContainers, loadModel, serviceOf, replicaName, usedHosts } from '../lib/ops/model';
import { compareStatus, formatDuration, formatStatus, judge, observe, type InspectedContainer, type ObservedContainer } from '../lib/ops/status';
import { shared, tempDir, twoHostEnvironment, writeFiles } from './helpers';

const ROOT = path.resolve(__dirname, '..');
/** Loaded by the first test that needs it (see `shared`). */
const localModel = shared(() => loadModel('local', path.join(ROOT, 'environments')));
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';

describe('host connections', () => {
  it('quotes shell words so that no character is special', () => {
    expect(shellWord("it's $HOME `x`")).toBe(`'it'\\''s $HOME \`x\`'`);
    const r = spawnSync('sh', ['-c', `printf '%s' ${shellWord("a'b $c \\n")}`], { encoding: 'utf8' });
    expect(r.stdout).toBe("a'b $c \\n");
  });

  it('pins the host key first (ssh keeps the first value), then the host\'s own options', () => {
    expect(sshOptionsFor({ name: 'core', docker: 'ssh://root@core', sshOptions: ['-F', '/x/config'] }, '/tmp/kh')).toEqual([
      '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UserKnownHostsFile=/tmp/kh', '-F', '/x/config',
    ]);
    expect(sshOptionsFor({ name: 'core', docker: 'ssh://root@core' })).toEqual(['-o', 'BatchMode=yes']);
  });

  it('the docker CLI reaches an ssh:// host through the wrapper with every option intact', () => {
    const dir = tempDir();
    const log = path.join(dir, 'args');
    // a fake ssh that records its arguments one per line, then fails the connection
    fs.writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > ${shellWord(log)}\nexit 255\n`, { mode: 0o755 });
    const conn = new HostConnection(
      { name: 'core', docker: 'ssh://deploy@core.example.com:2222', hostKey: KEY, sshOptions: ['-o', 'IdentityFile=/keys/my key'] },
      { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    );
    try {
      const known = fs.readFileSync(path.join(path.dirname(conn.env.PATH!.split(':')[0]), path.basename(conn.env.PATH!.split(':')[0]), 'known_hosts'), 'utf8');
      expect(known).toBe(`[core.example.com]:2222 ${KEY}\n`);
      const r = conn.runSync(['version', '--format', '{{.Server.Version}}'], 20_000);
      expect(r.code).not.toBe(0);
      const args = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(args.slice(0, 7)).toEqual(['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', expect.stringMatching(/^UserKnownHostsFile=.*known_hosts$/), '-o']);
      expect(args).toContain('IdentityFile=/keys/my key');
      expect(args.join(' ')).toContain('-l deploy -p 2222 -- core.example.com docker system dial-stdio');
    } finally {
      conn.close();
    }
    expect(fs.existsSync(conn.env.PATH!.split(':')[0])).toBe(false);
  });

  it('unix hosts need no wrapper; tcp hosts with certificates verify TLS', () => {
    const u = new HostConnection({ name: 'l', docker: 'unix:///var/run/docker.sock' }, { PATH: '/usr/bin' });
    expect(u.env).toMatchObject({ DOCKER_HOST: 'unix:///var/run/docker.sock', PATH: '/usr/bin' });
    const t = new HostConnection({ name: 't', docker: 'tcp://h:2376', tlsCertPath: '/certs' }, { PATH: '/usr/bin' });
    expect(t.env).toMatchObject({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' });
    expect(sshWrapperScript('/usr/bin/ssh', ['-o', "x='y'"])).toBe(`#!/bin/sh\nexec '/usr/bin/ssh' '-o' 'x='\\''y'\\''' "$@"\n`);
  });
});

describe('host connections, piece by piece', () => {
  it('which: the first executable of that name on PATH, skipping empty entries, our own folder and files that do not run', () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    fs.writeFileSync(path.join(a, 'ssh'), 'not executable', { mode: 0o644 });
    fs.writeFileSync(path.join(b, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(c, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
    expect(which('ssh', `${a}:${b}:${c}`)).toBe(path.join(b, 'ssh'));
    expect(which('ssh', `${a}:${b}:${c}`, b)).toBe(path.join(c, 'ssh'));
    expect(which('ssh', `${a}`)).toBeUndefined();
    // an empty entry is not the current folder (the checkout, or Stryker's copy of it, where this
    // runs): a program named by its path from the current folder is not found through one
    const env = path.relative(process.cwd(), '/usr/bin/env');
    expect(fs.statSync(env).mode & 0o111).not.toBe(0);
    expect(which(env, `:`)).toBeUndefined();
    expect(which('sh', undefined)).toBeUndefined(); // no PATH at all: nothing found
  });

  it('an ssh:// connection: its own wrapper (owner only) and known_hosts (0600), the real ssh found outside it, DOCKER_CONTEXT dropped', () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\n', { mode: 0o755 });
    const conn = new HostConnection({ name: 'core', docker: 'ssh://u@[fd00::2]:2200', hostKey: KEY }, { PATH: `${bin}:/usr/bin`, DOCKER_CONTEXT: 'other', KEEP: 'k' });
    try {
      const dir = conn.env.PATH!.split(':')[0];
      expect(conn.env).toEqual({ PATH: `${dir}:${bin}:/usr/bin`, DOCKER_HOST: 'ssh://u@[fd00::2]:2200', KEEP: 'k' });
      expect(fs.statSync(path.join(dir, 'ssh')).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dir, 'known_hosts')).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(path.join(dir, 'ssh'), 'utf8')).toBe(sshWrapperScript(path.join(bin, 'ssh'), sshOptionsFor(conn.host, path.join(dir, 'known_hosts'))));
      expect(conn.sshArgs(['df', '-P'])).toEqual({ cmd: path.join(dir, 'ssh'), args: ['-o', 'ConnectTimeout=15', '-l', 'u', '-p', '2200', '--', 'fd00::2', 'df', '-P'] });
    } finally {
      conn.close();
    }
    // no host key: no known_hosts file, and ssh's own checking; no ssh on PATH: the wrapper names plain ssh
    const bare = new HostConnection({ name: 'b', docker: 'ssh://b.example' }, { PATH: tempDir() });
    try {
      const dir = bare.env.PATH!.split(':')[0];
      expect(fs.readdirSync(dir)).toEqual(['ssh']);
      expect(fs.readFileSync(path.join(dir, 'ssh'), 'utf8')).toBe(sshWrapperScript('ssh', ['-o', 'BatchMode=yes']));
      expect(bare.sshArgs(['true']).args).toEqual(['-o', 'ConnectTimeout=15', '--', 'b.example', 'true']);
    } finally {
      bare.close();
    }
    // without a PATH, only the wrapper's folder (no empty entry, which would name the current folder)
    const noPath = new HostConnection({ name: 'n', docker: 'ssh://n' }, {});
    try {
      expect(noPath.env.PATH).toMatch(/stackyard-ssh-[^:]+$/);
    } finally {
      noPath.close();
    }
  });

  it('other hosts: no wrapper, no ssh; TLS only for tcp:// with certificates', () => {
    const u = new HostConnection({ name: 'l', docker: 'unix:///run/docker.sock', tlsCertPath: '/certs' }, { PATH: '/usr/bin', DOCKER_CONTEXT: 'x' });
    expect(u.env).toEqual({ PATH: '/usr/bin', DOCKER_HOST: 'unix:///run/docker.sock' });
    expect(() => u.sshArgs(['true'])).toThrow('host l is not reached over ssh://');
    expect(new HostConnection({ name: 't', docker: 'tcp://h:2376' }, { PATH: '/usr/bin' }).env).toEqual({ PATH: '/usr/bin', DOCKER_HOST: 'tcp://h:2376' });
  });

  it('runProcess: input on stdin, output and code back; a timeout kills it and says so; a program that cannot start is 127', async () => {
    expect(await runProcess('sh', ['-c', 'cat; echo err >&2; exit 4'], process.env, { input: 'in' })).toEqual({ code: 4, stdout: 'in', stderr: 'err\n' });
    expect(await runProcess('sh', ['-c', 'cat'], process.env)).toEqual({ code: 0, stdout: '', stderr: '' });
    const slow = await runProcess('sleep', ['30'], process.env, { timeoutMs: 200 });
    expect(slow).toEqual({ code: 128, stdout: '', stderr: '\nkilled by SIGKILL (timeout)' });
    expect(await runProcess('/nonexistent/docker', [], process.env)).toEqual({ code: 127, stdout: '', stderr: 'spawn /nonexistent/docker ENOENT' });
  });

  it('runProcess: the timeout timer ends with the process, whether it ran or could not start (no timer left to keep the CLI alive)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      expect(await runProcess('true', [], process.env, { timeoutMs: 60_000 })).toMatchObject({ code: 0 });
      expect(vi.getTimerCount()).toBe(0);
      expect(await runProcess('/nonexistent/docker', [], process.env, { timeoutMs: 60_000 })).toMatchObject({ code: 127 });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runSync: the whole output (more than the 1 MiB a default buffer holds), the reason when docker ran too long', () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\ncase "$1" in\n  big) head -c 2097152 /dev/zero | tr "\\0" x;;\n  slow) exec sleep 30;;\nesac\n', { mode: 0o755 });
    const conn = new HostConnection({ name: 'l', docker: 'unix:///x' }, { PATH: `${bin}:/usr/bin:/bin` });
    const big = conn.runSync(['big']);
    expect(big.code).toBe(0);
    expect(big.stdout).toBe('x'.repeat(2 * 1024 * 1024));
    expect(conn.runSync(['slow'], 200)).toEqual({ code: 1, stdout: '', stderr: 'spawnSync docker ETIMEDOUT' });
    // no docker on PATH: not started, no output at all (not a null), the reason
    expect(new HostConnection({ name: 'l', docker: 'unix:///x' }, { PATH: tempDir() }).runSync(['version'])).toEqual({ code: 1, stdout: '', stderr: 'spawnSync docker ENOENT' });
  });

  it('spawn: docker gets the connection\'s environment, and the terminal unless told otherwise; close() may run twice', async () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\n[ "$1" = logs ] && printf "%s %s" "$DOCKER_HOST" "$*"\nexit 0\n', { mode: 0o755 });
    const conn = new HostConnection({ name: 'l', docker: 'unix:///run/h1/docker.sock' }, { PATH: `${bin}:/usr/bin:/bin` });
    const child = conn.spawn(['logs', '-f'], ['ignore', 'pipe', 'inherit']);
    const out: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    await new Promise((r) => child.on('close', r));
    expect(Buffer.concat(out).toString()).toBe('unix:///run/h1/docker.sock logs -f');
    const inherited = conn.spawn(['x']);
    expect([inherited.stdin, inherited.stdout, inherited.stderr]).toEqual([null, null, null]);
    await new Promise((r) => inherited.on('close', r));
    const ssh = new HostConnection({ name: 's', docker: 'ssh://s' }, { PATH: '/usr/bin:/bin' });
    ssh.close();
    expect(() => ssh.close()).not.toThrow();
  });

  it('containerIds: every label a filter of its own, all states, full ids', async () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    const conn = new HostConnection({ name: 'l', docker: 'unix:///x' }, { PATH: `${bin}:/usr/bin:/bin` });
    expect(await conn.containerIds('a=1', 'b')).toEqual(['ps', '-aq', '--no-trunc', '--filter', 'label=a=1', '--filter', 'label=b']);
  });

  it('a host that did not answer: its name, URL and the last non-empty line', () => {
    const h = { name: 'core', docker: 'ssh://core' };
    expect(new HostError(h, 'warning: x\n  Cannot connect to the Docker daemon  \n\n').message).toBe('host core (ssh://core) did not answer: Cannot connect to the Docker daemon');
    expect(new HostError(h, '').message).toBe('host core (ssh://core) did not answer: no answer');
    expect(new HostError(h, '').exitCode).toBe(1);
    expect(new HostError(h, '').name).toBe('HostError');
    expect(lastLine(' \n ')).toBe('no answer');
  });

  it('withHosts: a connection per host, removed afterwards even when the work fails', async () => {
    const hosts = [{ name: 'a', docker: 'ssh://a' }, { name: 'b', docker: 'unix:///x' }];
    let dirs: string[] = [];
    await expect(withHosts(hosts, async (conns) => {
      expect([...conns.keys()]).toEqual(['a', 'b']);
      dirs = [conns.get('a')!.env.PATH!.split(':')[0]];
      expect(fs.existsSync(dirs[0])).toBe(true);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(fs.existsSync(dirs[0])).toBe(false);
    expect(await withHosts([], async () => 7)).toBe(7);
  });

  it('inspect and container ids through the docker CLI; a failure is a HostError', async () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\ncase "$1 $2" in\n  "container inspect") echo "[{\\"Id\\":\\"$3\\"}]";;\n  "network inspect") echo "[{\\"Net\\":\\"$3\\"}]";;\n  "ps -aq") echo "$*" >&2; printf "id1\\n\\nid2\\n";;\n  *) echo "Cannot connect" >&2; exit 1;;\nesac\n', { mode: 0o755 });
    const conn = new HostConnection({ name: 'l', docker: 'unix:///x' }, { PATH: `${bin}:/usr/bin:/bin` });
    expect(await conn.inspect([])).toEqual([]);
    expect(await conn.inspect(['c1'])).toEqual([{ Id: 'c1' }]);
    expect(await conn.inspect(['n1'], 'network')).toEqual([{ Net: 'n1' }]);
    expect(await conn.containerIds('a=1', 'b')).toEqual(['id1', 'id2']);
    expect((await conn.run(['ps', '-aq', '--no-trunc', '--filter', 'label=a=1'])).stderr).toBe('ps -aq --no-trunc --filter label=a=1\n');
    expect(conn.runSync(['version'])).toEqual({ code: 1, stdout: '', stderr: 'Cannot connect\n' });
    const broken = new HostConnection({ name: 'l', docker: 'unix:///x' }, { PATH: tempDir() });
    expect(broken.runSync(['version'])).toMatchObject({ code: 1, stderr: 'spawnSync docker ENOENT' });
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\necho "Cannot connect" >&2; exit 1\n', { mode: 0o755 });
    await expect(conn.inspect(['c1'])).rejects.toThrow(new HostError(conn.host, 'Cannot connect'));
    await expect(conn.containerIds()).rejects.toThrow('host l (unix:///x) did not answer: Cannot connect');
  });
});

describe('checking one host (docker info through a stand-in docker)', () => {
  /** A folder with a `docker` that prints `out` (exit `code`, `err` on stderr) and an `ssh` that fails. */
  const standIn = (out: string, code = 0, err = '') => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\nprintf '%s' ${shellWord(out)}\nprintf '%s' ${shellWord(err)} >&2\nexit ${code}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'ssh'), '#!/bin/sh\necho "ssh: connect to host core port 22: Connection refused" >&2\nexit 255\n', { mode: 0o755 });
    return { PATH: `${bin}:/usr/bin:/bin` };
  };

  it('a reachable local engine: its version, the free space of its data root, its clock; no NFS check unless asked', async () => {
    const root = tempDir();
    const info = JSON.stringify({ ServerVersion: '28.2.2', DockerRootDir: root, SystemTime: new Date().toISOString() });
    const conn = new HostConnection({ name: 'local', docker: 'unix:///x.sock' }, standIn(`WARNING: no swap limit support\n${info}\n`));
    const c = await checkHost(conn);
    // the free space is this machine's: the verdict is computed from it, not assumed
    const s = fs.statfsSync(root);
    const disk = diskVerdict(root, Number(s.bavail) * Number(s.bsize));
    expect(c).toMatchObject({ host: 'local', docker: 'unix:///x.sock', ok: disk.ok, reachable: { ok: true, text: 'reachable' }, engine: { ok: true, text: 'Docker 28.2.2' }, disk: { ok: disk.ok }, clock: { ok: true } });
    expect(c.disk!.text).toMatch(new RegExp(` free on ${root}( \\(at least .*\\))?$`));
    expect(c).not.toHaveProperty('nfs');
    const withNfs = await checkHost(conn, true);
    expect(withNfs.nfs).toBeDefined();
    // this machine's shell answered the probe (in time): a verdict, not "unknown"
    expect(withNfs.nfs!.text).not.toBe('NFS support unknown');
    expect(withNfs.ok).toBe(disk.ok && withNfs.nfs!.ok);
  });

  it('the verdicts at their boundaries', () => {
    expect(versionAtLeast('20.10.0', '20.10.0')).toBe(true);
    expect(versionAtLeast('20.10', '20.10.0')).toBe(true);
    expect(versionAtLeast('20.10.0.1', '20.10.0')).toBe(true);
    expect(versionAtLeast('v28', '20.10.0')).toBe(false);
    expect(versionAtLeast('20.10', '20.10.1')).toBe(false); // a missing part is 0
    expect(versionAtLeast('20.9.9', '20.10.0')).toBe(false);
    expect(engineVerdict('20.10.0')).toEqual({ ok: true, text: 'Docker 20.10.0' });
    expect(engineVerdict('')).toEqual({ ok: false, text: 'engine version unknown', fix: 'check docker version on the host' });
    expect([0, 1023, 1024, 1536, 100 * 1024, 1024 ** 2 * 99.5, 1024 ** 5, 3 * 1024 ** 5].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '100 KiB', '99.5 MiB', '1024 TiB', '3072 TiB']);
    expect(diskVerdict('/r', 2 * 1024 ** 3)).toEqual({ ok: true, text: '2.0 GiB free on /r' });
    expect(diskVerdict('/r', 2 * 1024 ** 3 - 1).ok).toBe(false);
    expect(diskVerdict('/r', 10, 10).ok).toBe(true);
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    expect(clockVerdict('2026-01-01T10:00:30Z', t0, t0)).toEqual({ ok: true, text: 'clock +30.0s' });
    expect(clockVerdict('2026-01-01T09:59:30Z', t0, t0)).toEqual({ ok: true, text: 'clock -30.0s' });
    expect(clockVerdict('2026-01-01T10:00:00Z', t0, t0)).toEqual({ ok: true, text: 'clock +0.0s' });
    expect(clockVerdict('2026-01-01T10:00:31Z', t0, t0)).toEqual({ ok: false, text: 'clock +31.0s off this machine (more than 30s)', fix: 'run time synchronisation on the host (systemd-timesyncd or chrony)' });
    expect(clockVerdict('2026-01-01T10:00:05Z', t0, t0, 4).ok).toBe(false);
    expect(clockVerdict('soon', t0, t0)).toEqual({ ok: false, text: 'engine clock unknown', fix: 'check docker info on the host' });
    expect(clockVerdict(undefined, t0, t0).ok).toBe(false);
    expect(parseDf('/dev/sda1 100 50 2048 50%')).toBeUndefined();
    expect(parseDf('/dev/sda1 100 50 x 50% /')).toBeUndefined();
    expect(parseDf('')).toBeUndefined();
    expect(nfsVerdict('nodev\tsysfs\nnodev\tnfs4\n---\n')).toEqual({ ok: true, text: 'NFS client (kernel)' });
    expect(nfsVerdict('nodev\tnfs\n')).toEqual({ ok: true, text: 'NFS client (kernel)' });
    // the name alone on its line, after nodev and any blanks; another file system that ends in nfs is not it
    for (const fsLine of ['\tnfs', 'nfs4', 'nodev \t nfs']) expect(nfsVerdict(`ext4\n${fsLine}\n---\n`).ok, fsLine).toBe(true);
    for (const fsLine of ['nodev\tfakenfs', 'nodevnfs', 'xnodev\tnfs']) expect(nfsVerdict(`ext4\n${fsLine}\n---\n`).ok, fsLine).toBe(false);
    expect(nfsVerdict('nodev\tnfsd\n---\n')).toMatchObject({ ok: false, text: 'no NFS support in the kernel (an nfs volume cannot be mounted here)' });
    expect(nfsVerdict('ext4\n---\n/lib/modules/6.1/kernel/fs/nfs/nfs.ko.xz\n')).toEqual({ ok: true, text: 'NFS client (module)' });
    expect(nfsVerdict('nfs.ko\n---\n')).toMatchObject({ ok: false });
    expect(nfsVerdict(undefined)).toEqual({ ok: false, text: 'NFS support unknown', fix: 'check on the host: grep nfs /proc/filesystems, or modprobe nfs' });
  });

  it('an answer that is no JSON: version, clock unknown, the default data root; the host fails', async () => {
    const conn = new HostConnection({ name: 'local', docker: 'unix:///x.sock' }, standIn('not json'));
    const c = await checkHost(conn);
    expect(c).toMatchObject({ ok: false, engine: { ok: false, text: 'engine version unknown' }, clock: { ok: false, text: 'engine clock unknown' } });
    expect(c.disk!.text).toMatch(/ on \/var\/lib\/docker/);
  });

  it('an old engine alone fails the host, and so does a skewed clock alone', async (ctx) => {
    const root = tempDir();
    const s = fs.statfsSync(root);
    if (Number(s.bavail) * Number(s.bsize) < 2 * 1024 ** 3) ctx.skip(); // the disk verdict would fail the host too: shown as skipped
    const check = (o: object) => checkHost(new HostConnection({ name: 'local', docker: 'unix:///x.sock' }, standIn(JSON.stringify({ ServerVersion: '28.2.2', DockerRootDir: root, SystemTime: new Date().toISOString(), ...o }))));
    expect(await check({})).toMatchObject({ ok: true });
    expect(await check({ ServerVersion: '19.03.1' })).toMatchObject({ ok: false, engine: { ok: false }, disk: { ok: true }, clock: { ok: true } });
    expect(await check({ SystemTime: new Date(Date.now() - 3_600_000).toISOString() })).toMatchObject({ ok: false, engine: { ok: true }, disk: { ok: true }, clock: { ok: false } });
  });

  it('an old engine fails the host; a data root that cannot be read is unknown space', async () => {
    const info = JSON.stringify({ ServerVersion: '19.03.1', DockerRootDir: '/nonexistent/docker', SystemTime: new Date().toISOString() });
    const c = await checkHost(new HostConnection({ name: 'local', docker: 'unix:///x.sock' }, standIn(info)));
    expect(c).toMatchObject({ ok: false, engine: { ok: false }, disk: { ok: false, text: 'free space on /nonexistent/docker unknown' }, clock: { ok: true } });
  });

  it('an ssh host: its pinned key named; the disk asked over ssh (a failed ssh: unknown); a host that does not answer: why, with its own keys in the fix', async () => {
    const info = JSON.stringify({ ServerVersion: '28.2.2', SystemTime: new Date().toISOString() });
    const pinned = new HostConnection({ name: 'core', docker: 'ssh://root@core', hostKey: KEY }, standIn(info));
    try {
      const c = await checkHost(pinned);
      expect(c).toMatchObject({ ok: false, reachable: { ok: true, text: 'ssh ok (pinned key)' }, disk: { ok: false, text: 'free space on /var/lib/docker unknown' } });
    } finally {
      pinned.close();
    }
    const plain = new HostConnection({ name: 'core', docker: 'ssh://root@core' }, standIn(info));
    try {
      expect((await checkHost(plain)).reachable).toEqual({ ok: true, text: 'ssh ok' });
    } finally {
      plain.close();
    }
    const refused = new HostConnection({ name: 'edge', docker: 'ssh://root@edge' }, standIn('', 1, 'Host key verification failed.\n'));
    try {
      expect(await checkHost(refused)).toEqual({
        host: 'edge', docker: 'ssh://root@edge', ok: false,
        reachable: { ok: false, text: 'host key not accepted', fix: 'pin the host key in hosts.edge.hostKey (ssh-keyscan -t ed25519 <host>, checked out of band) or in the known_hosts file of its sshOptions' },
      });
    } finally {
      refused.close();
    }
  });

  it('a tcp:// engine: nothing asked of a shell it does not have', async () => {
    const info = JSON.stringify({ ServerVersion: '28.2.2', SystemTime: new Date().toISOString() });
    const c = await checkHost(new HostConnection({ name: 't', docker: 'tcp://h:2376' }, standIn(info)), true);
    expect(c).toMatchObject({ ok: true, disk: { ok: true, text: 'free space on /var/lib/docker not checked (tcp://)' }, nfs: { ok: true, text: 'NFS client not checked (tcp://)' } });
  });
});

describe('the environment model', () => {
  it('expects every replica on its host, named <env>-<service>-<n>', () => {
    const e = expectedContainers(localModel());
    expect(e.map((x) => x.name)).toEqual([
      'local-adminer-1', 'local-backend-1', 'local-backend-2', 'local-celery-worker-1', 'local-db-1', 'local-frontend-1', 'local-frontend-2',
      'local-orchestrator-1', 'local-prestart-1', 'local-proxy-1', 'local-redis-1', 'local-watcher-1',
    ]);
    expect(e.find((x) => x.service === 'prestart')).toMatchObject({ oneShot: true, host: 'local' });
    expect(e.find((x) => x.service === 'backend')).toMatchObject({ image: 'stackyard/demo-app:1', healthchecked: true, kind: 'web' });
  });

  it('names an unknown environment or service with what exists', () => {
    expect(() => loadModel('nope', path.join(ROOT, 'environments'))).toThrow(/no environment named nope in .*environments/);
    expect(() => serviceOf(localModel(), 'backnd')).toThrow(/local has no service "backnd"; its services: adminer, backend, /);
    expect(() => loadModel('cluster', path.join(ROOT, 'environments'))).toThrow(/runs on Kubernetes/);
  });

  it('a Kubernetes environment is named with its namespace; a file with mistakes, with each problem at its place and their count', () => {
    expect(() => loadModel('cluster', path.join(ROOT, 'environments'))).toThrow('cluster runs on Kubernetes: use kubectl against namespace platform; this command talks to Docker hosts');
    const dir = writeFiles({ 'bad.yaml': 'name: bad\nhosts:\n  main: { docker: "unix:///var/run/docker.sock" }\nservices:\n  a: { kind: web, image: x/a, tag: "1", port: nope }\n  b: { kind: nope }\n' });
    let message = '';
    try {
      loadModel('bad', dir);
    } catch (e) {
      expect(e).toBeInstanceOf(CliError);
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines.slice(0, -2).every((l) => /^\S*\/bad\.yaml:\d+:\d+ services\.[ab]/.test(l)), message).toBe(true);
    expect(lines.slice(-2)).toEqual(['', `${lines.length - 2} problem(s) found in the environment files.`]);
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });

  it('the image a replica should run: repository:tag, or the repository alone when the release names its tag', () => {
    const dir = writeFiles({
      'r.yaml': 'name: r\nrelease: { tag: r3, images: [x/api] }\nhosts:\n  main: { docker: "unix:///var/run/docker.sock" }\nservices:\n  api: { kind: web, image: x/api, port: 8000 }\n  db: { kind: postgres, password: P }\nsecrets: [P]\n',
    });
    const e = expectedContainers(loadModel('r', dir));
    expect(e.find((x) => x.service === 'api')?.image).toBe('x/api');
    expect(e.find((x) => x.service === 'db')?.image).toMatch(/^[^:]+(:[^:]+)?:\d/);
    expect(e.find((x) => x.service === 'db')).toMatchObject({ healthchecked: true, oneShot: false });
  });

  it('a replica\'s name drops the revision a start-first replica carries at its end, nothing else', () => {
    expect(replicaName('local-backend-1-3f5db583')).toBe('local-backend-1');
    expect(replicaName('local-backend-1')).toBe('local-backend-1');
    // eight hex digits inside the name (a service called deadbeef) are part of it
    expect(replicaName('local-deadbeef-1')).toBe('local-deadbeef-1');
  });

  it('a job without a healthcheck is not expected to be healthy; hosts in use come sorted by name', () => {
    expect(expectedContainers(localModel()).find((x) => x.service === 'prestart')).toMatchObject({ oneShot: true, healthchecked: false });
    const m = loadModel('obs', writeFiles({ 'obs.yaml': twoHostEnvironment('  w: { kind: service, host: b, image: x/w, tag: "1" }\n').replace('hosts:\n  core:', 'hosts:\n  zz: { docker: "ssh://deploy@zz.example.com" }\n  core:') }));
    expect(usedHosts(m).map((h) => h.name)).toEqual(['b', 'core']);
  });
});

const inspected = (name: string, o: Partial<{ status: string; health: string; exit: number; restarts: number; image: string; labels: Record<string, string> }> = {}): InspectedContainer => ({
  Id: `id-${name}`,
  Name: `/${name}`,
  Image: o.image ?? 'sha256:aaaabbbbccccdddd',
  RestartCount: o.restarts ?? 0,
  Config: { Image: 'sha256:aaaabbbbccccdddd', Labels: { 'stackyard.environment': 'local', 'stackyard.service': name.split('-').slice(1, -1).join('-'), 'stackyard.replica': name.split('-').slice(-1)[0], ...(o.labels ?? {}) } },
  State: { Status: o.status ?? 'running', ExitCode: o.exit ?? 0, StartedAt: '2026-01-01T10:00:00.123456789Z', FinishedAt: '2026-01-01T10:05:00Z', Health: o.health ? { Status: o.health } : null },
});

describe('status: expected vs actual', () => {
  const NOW = Date.parse('2026-01-01T11:30:00Z');
  const expectedOf = shared(() => expectedContainers(localModel())); // when first read, not while the file is collected
  const healthy = () => expectedOf().map((e) => inspected(e.name, e.oneShot ? { status: 'exited' } : { health: e.healthchecked ? 'healthy' : undefined }));
  const tags = new Map([['sha256:aaaabbbbccccdddd', ['postgres:17', 'stackyard/demo-app:1']]]);
  const run = (list: InspectedContainer[], unreachable = new Map<string, string>()) => compareStatus({
    environment: 'local', hosts: [{ name: 'local', docker: 'unix:///var/run/docker.sock' }], expected: expectedOf(),
    observed: unreachable.size ? new Map() : new Map([['local', observe('local', list, tags, (n) => expectedOf().find((e) => e.name === replicaName(n))?.image.replace(/:[^:/]*$/, ''))]]),
    unreachable, now: NOW,
  });

  it('is ok when every replica runs healthy and the job exited 0', () => {
    const r = run(healthy());
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    const backend = r.hosts[0].containers.find((c) => c.name === 'local-backend-1')!;
    expect(backend).toEqual({
      host: 'local', service: 'backend', replica: 1, name: 'local-backend-1', kind: 'web', image: 'stackyard/demo-app:1',
      state: 'running', health: 'healthy', exitCode: null, uptimeSeconds: 5400, restarts: 0, ok: true, note: null,
    });
    expect(r.hosts[0].containers.find((c) => c.name === 'local-db-1')!.image).toBe('postgres:17');
    expect(r.hosts[0].containers.find((c) => c.name === 'local-prestart-1')).toMatchObject({ state: 'exited', exitCode: 0, note: 'completed', uptimeSeconds: 5100 });
  });

  it('finds a start-first replica under its revisioned name; while an update runs, the running one speaks for it', () => {
    const revisioned = healthy().map((c) => (c.Name === '/local-backend-1' ? { ...c, Name: '/local-backend-1-3f5db583' } : c));
    const r = run(revisioned);
    expect(r.problems).toEqual([]);
    expect(r.hosts[0].containers.find((c) => c.service === 'backend' && c.replica === 1)).toMatchObject({ name: 'local-backend-1-3f5db583', image: 'stackyard/demo-app:1', ok: true, note: null });
    // the old replica 1 stopped next to its running successor: the successor is the replica, the old one an extra row
    const both = [...revisioned, { ...inspected('local-backend-1', { status: 'exited', exit: 137 }), Name: '/local-backend-1-0badcafe' }];
    const u = run(both);
    expect(u.problems).toEqual([]);
    const rows = u.hosts[0].containers.filter((c) => c.service === 'backend' && c.replica === 1);
    expect(rows.map((c) => [c.name, c.note])).toEqual([
      ['local-backend-1-3f5db583', null], ['local-backend-1-0badcafe', 'not in the environment file (the next deploy removes it)'],
    ]);
  });

  it('fails on a missing replica, an unhealthy one, a failed job and a restarting one, naming each', () => {
    const list = healthy().filter((c) => c.Name !== '/local-backend-2').map((c) => {
      if (c.Name === '/local-db-1') return inspected('local-db-1', { health: 'unhealthy', restarts: 3 });
      if (c.Name === '/local-prestart-1') return inspected('local-prestart-1', { status: 'exited', exit: 2 });
      if (c.Name === '/local-watcher-1') return inspected('local-watcher-1', { status: 'restarting', restarts: 7 });
      return c;
    });
    const r = run(list);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      'local-backend-2 is missing on local',
      'local-db-1 on local: health unhealthy',
      'local-prestart-1 on local: job exited 2',
      'local-watcher-1 on local: restarting',
    ]);
    expect(r.hosts[0].containers.find((c) => c.name === 'local-db-1')).toMatchObject({ restarts: 3, ok: false });
  });

  it('lists containers the file does not know and the maintenance page as notes, without failing', () => {
    const r = run([...healthy(), inspected('local-old-1'), inspected('local-maintenance-1', { labels: { 'stackyard.maintenance': 'on' } })]);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual([
      'local-old-1 on local: not in the environment file (the next deploy removes it)',
      'local-maintenance-1 on local: maintenance page (stackyard maintenance off removes it)',
    ]);
  });

  it('a host that does not answer fails with every container it should run as unknown', () => {
    const r = run([], new Map([['local', 'Cannot connect to the Docker daemon']]));
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual(['host local (unix:///var/run/docker.sock) did not answer: Cannot connect to the Docker daemon']);
    expect(r.hosts[0]).toMatchObject({ reachable: false, error: 'Cannot connect to the Docker daemon' });
    expect(new Set(r.hosts[0].containers.map((c) => c.state))).toEqual(new Set(['unknown']));
  });

  it('a container on another host than the file says is missing where it belongs', () => {
    const two = compareStatus({
      environment: 'e', now: NOW, unreachable: new Map(),
      hosts: [{ name: 'a', docker: 'ssh://a' }, { name: 'b', docker: 'ssh://b' }],
      expected: [{ host: 'a', service: 'api', replica: 1, name: 'e-api-1', kind: 'web', image: 'x:1', oneShot: false, healthchecked: false }],
      observed: new Map<string, ObservedContainer[]>([['a', []], ['b', observe('b', [inspected('e-api-1')], new Map())]]),
    });
    expect(two.problems).toEqual(['e-api-1 is missing on a (found on b instead)']);
  });

  it('judges jobs and long-running services differently', () => {
    const e = expectedOf().find((x) => x.service === 'watcher')!;
    const o = observe('local', [inspected('local-watcher-1', { status: 'exited', exit: 0 })], new Map())[0];
    expect(judge(e, o)).toEqual({ ok: false, note: 'exited 0' });
    expect(judge({ ...e, oneShot: true }, o)).toEqual({ ok: true, note: 'completed' });
    expect(judge({ ...e, oneShot: true }, { ...o, exitCode: 2 })).toEqual({ ok: false, note: 'job exited 2' });
    // a job created but never started, or restarting, has not done its work
    expect(judge({ ...e, oneShot: true }, { ...o, state: 'created' })).toEqual({ ok: false, note: 'job created' });
    expect(judge({ ...e, oneShot: true }, { ...o, state: 'restarting' })).toEqual({ ok: false, note: 'job restarting' });
    expect(judge({ ...e, healthchecked: true }, { ...o, state: 'running', health: 'starting' })).toEqual({ ok: false, note: 'health starting' });
  });

  it('prints a table per host and the problems', () => {
    const lines = formatStatus(run(healthy().filter((c) => c.Name !== '/local-redis-1')));
    expect(lines[0]).toBe('host local (unix:///var/run/docker.sock)');
    expect(lines[1]).toMatch(/^ {5}SERVICE +REPLICA +IMAGE +STATE +HEALTH +UPTIME +RESTARTS +NOTE$/);
    expect(lines.find((l) => l.includes('backend') && l.includes(' 1 '))).toMatch(/backend +1 +stackyard\/demo-app:1 +running +healthy +1h30m +0$/);
    expect(lines.find((l) => l.includes('redis  '))).toMatch(/^ {2}✗ {2}redis +1 +- +missing +- +- +-$/);
    expect(lines.slice(-2)).toEqual(['local: 1 problem(s):', '  - local-redis-1 is missing on local']);
    expect(formatStatus(run(healthy())).slice(-1)).toEqual(['local: all 12 container(s) as the environment file says']);
  });

  it('formats durations', () => {
    expect([0, 59, 60, 3599, 3600, 5400, 86399, 86400, 90000, null].map(formatDuration)).toEqual(['0s', '59s', '1m', '59m', '1h00m', '1h30m', '23h59m', '1d00h', '1d01h', '-']);
  });

  it('observes what docker says, and what it leaves out', () => {
    const bare: InspectedContainer = { Id: 'x', Name: '/local-old-thing', Image: 'sha256:0123456789abcdef0123', Config: { Image: 'sha256:0123456789abcdef0123', Labels: null }, State: { Status: 'running', Health: { Status: '' } } };
    // no tags, an image configured by id: the short id; no labels: no service, replica or kind, no maintenance page; absent counts are 0
    expect(observe('h', [bare], new Map())[0]).toEqual({ host: 'h', name: 'local-old-thing', service: undefined, replica: undefined, kind: undefined, image: '0123456789ab', state: 'running', health: undefined, exitCode: 0, startedAt: undefined, finishedAt: undefined, restarts: 0, maintenance: false });
    // the tag of the repository the model expects, not another one that starts alike; else the configured name; else the first tag
    const tagged = { ...bare, Config: { Image: 'ghcr.io/acme/api:2.0', Labels: { 'stackyard.replica': 'x' } } };
    const tags = new Map([['sha256:0123456789abcdef0123', ['ghcr.io/acme/api-old:9', 'ghcr.io/acme/api:1.0']]]);
    expect(observe('h', [tagged], tags, () => 'ghcr.io/acme/api')[0]).toMatchObject({ image: 'ghcr.io/acme/api:1.0', replica: undefined });
    expect(observe('h', [tagged], tags, () => 'ghcr.io/acme/apx')[0].image).toBe('ghcr.io/acme/api:2.0');
    expect(observe('h', [tagged], tags)[0].image).toBe('ghcr.io/acme/api:2.0');
    expect(observe('h', [bare], tags)[0].image).toBe('ghcr.io/acme/api-old:9');
    expect(observe('h', [{ ...bare, Image: 'sha256:feed', Config: { Image: 'other/x' } }], new Map([['sha256:feed', ['ghcr.io/acme/api']]]), () => 'ghcr.io/acme/api')[0].image).toBe('ghcr.io/acme/api');
  });

  it('uptime: none for Docker\'s zero time or an unreadable one, never negative; a job that still runs is fine; health named when reported', () => {
    const e = expectedOf().find((x) => x.service === 'backend')!;
    const row = (state: Partial<InspectedContainer['State']>) => compareStatus({
      environment: 'local', hosts: [{ name: 'local', docker: 'unix:///x' }], expected: [e], unreachable: new Map(), now: NOW,
      observed: new Map([['local', observe('local', [{ ...inspected(e.name), State: { Status: 'running', ...state } }], new Map())]]),
    }).hosts[0].containers[0];
    expect(row({ StartedAt: '0001-01-01T00:00:00Z' }).uptimeSeconds).toBeNull();
    expect(row({ StartedAt: 'soon' }).uptimeSeconds).toBeNull();
    expect(row({ StartedAt: '2026-01-01T12:00:00Z' }).uptimeSeconds).toBe(0);
    expect(row({ Status: 'exited', ExitCode: 3, FinishedAt: '2026-01-01T11:29:00Z' })).toMatchObject({ exitCode: 3, uptimeSeconds: 60 });
    const o = observe('local', [inspected('local-prestart-1')], new Map())[0];
    expect(judge({ ...e, oneShot: true }, o)).toEqual({ ok: true, note: 'job running' });
    expect(judge({ ...e, healthchecked: true }, { ...o, health: undefined })).toEqual({ ok: false, note: 'no health reported' });
  });

  it('while an update runs, the running one of a replica\'s two containers speaks for it; the other is a note', () => {
    const e = expectedOf().find((x) => x.service === 'backend')!;
    const old = { ...inspected(`${e.name}`, { status: 'exited', exit: 137 }), Id: 'old' };
    const fresh = { ...inspected(`${e.name}-0a1b2c3d`, { health: 'healthy' }), Id: 'new' };
    const r = compareStatus({ environment: 'local', hosts: [{ name: 'local', docker: 'unix:///x' }], expected: [e], unreachable: new Map(), now: NOW, observed: new Map([['local', observe('local', [old, fresh], new Map())]]) });
    expect(r.hosts[0].containers.map((c) => [c.name, c.state, c.ok])).toEqual([[`${e.name}-0a1b2c3d`, 'running', true], [e.name, 'exited', true]]);
    expect(r.notes).toEqual([`${e.name} on local: not in the environment file (the next deploy removes it)`]);
  });

  it('a container the file does not know, without labels: its row says so with dashes; a host that did not answer and one with nothing', () => {
    const stray: InspectedContainer = { Id: 's', Name: '/local-stray', Image: 'sha256:aaaabbbbccccdddd', Config: { Labels: null }, State: { Status: 'exited', ExitCode: 2, FinishedAt: '2026-01-01T11:00:00Z' } };
    const r = compareStatus({
      environment: 'local', hosts: [{ name: 'a', docker: 'unix:///a' }, { name: 'b', docker: 'ssh://b' }, { name: 'c', docker: 'ssh://c' }], expected: [], now: NOW,
      observed: new Map([['a', observe('a', [stray], new Map())], ['c', []]]), unreachable: new Map([['b', 'connection refused']]),
    });
    expect(r.hosts[0].containers).toEqual([{ host: 'a', service: '-', replica: null, name: 'local-stray', kind: null, image: 'aaaabbbbcccc', state: 'exited', health: null, exitCode: 2, uptimeSeconds: 1800, restarts: 0, ok: true, note: 'not in the environment file (the next deploy removes it)' }]);
    const running = compareStatus({ environment: 'local', hosts: [{ name: 'a', docker: 'unix:///a' }], expected: [], now: NOW, unreachable: new Map(),
      observed: new Map([['a', observe('a', [{ ...stray, State: { Status: 'running', ExitCode: 0, StartedAt: '2026-01-01T11:29:00Z', FinishedAt: '0001-01-01T00:00:00Z' } }], new Map())]]) });
    expect(running.hosts[0].containers[0]).toMatchObject({ state: 'running', exitCode: null, uptimeSeconds: 60 });
    expect(formatStatus(r)).toEqual([
      'host a (unix:///a)',
      '     SERVICE  REPLICA  IMAGE         STATE      HEALTH  UPTIME  RESTARTS  NOTE',
      '     -        -        aaaabbbbcccc  exited(2)  -       30m     0         not in the environment file (the next deploy removes it)',
      'host b (ssh://b): did not answer: connection refused',
      '  (nothing expected or running here)',
      'host c (ssh://c)',
      '  (nothing expected or running here)',
      '',
      'local: 1 problem(s):',
      '  - host b (ssh://b) did not answer: connection refused',
      '  note: local-stray on a: not in the environment file (the next deploy removes it)',
    ]);
  });
});

describe('logs', () => {
  it('accepts what docker logs --since accepts, and nothing else', () => {
    for (const ok of ['10m', '1h30m', '45s', '2026-01-01', '2026-01-01T10:00:00Z', '2026-01-01T10:00:00+02:00', '1767225600', '1767225600.5']) expect(validSince(ok), ok).toBe(true);
    for (const bad of ['10x', 'yesterday', '', '-5m', '10 m', '$(id)']) expect(validSince(bad), bad).toBe(false);
    // every part of a duration has its unit, and nothing may follow or precede a date or a number
    expect(validSince('1.5h')).toBe(true);
    // fractions of any length; a date with or without seconds and zone; a zone as Z or ±hh:mm
    for (const ok of ['1.25h', '2026-01-01T10:00', '2026-01-01T10:00Z', '2026-01-01T10:00:00.123456789Z', '2026-01-01T10:00:00-05:30', '1767225600.125']) expect(validSince(ok), ok).toBe(true);
    for (const bad of ['1.h', '2026-01-01T10', '2026-01-01T10:00:00+0200', '2026-01-01T10:00:00.Z', '1767225600.']) expect(validSince(bad), bad).toBe(false);
    for (const bad of ['10m5', '10mx', '2026-01-01junk', 'x2026-01-01', '2026-01-01T10:00:00Zx', '1767225600x']) expect(validSince(bad), bad).toBe(false);
    expect(['all', '0', '100'].every(validTail)).toBe(true);
    expect(['-1', 'ten', '1.5'].some(validTail)).toBe(false);
  });

  it('prefixes lines with host and replica, padded like compose', () => {
    expect(prefixOf('local', 'core', 'local-backend-2')).toBe('core/backend-2');
    expect(prefixOf('local', 'core', 'other-backend-2')).toBe('core/other-backend-2');
    // asked for timestamps, a line without one gets no empty column
    expect(formatLine({ prefix: 'core/db-1', timestamp: '', text: 'ready' }, 9, true)).toBe('core/db-1 | ready');
    expect(formatLine({ prefix: 'core/db-1', timestamp: '2026-01-01T10:00:00.5Z', text: 'ready' }, 14, false)).toBe('core/db-1      | ready');
    expect(formatLine({ prefix: 'core/db-1', timestamp: '2026-01-01T10:00:00.5Z', text: 'ready' }, 9, true)).toBe('core/db-1 | 2026-01-01T10:00:00.5Z ready');
  });

  it('splits chunks into whole lines', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\r\nd\n')).toEqual(['bc', 'd']);
    expect(s.push('tail')).toEqual([]);
    expect(s.end()).toEqual(['tail']);
    expect(s.end()).toEqual([]);
    // only a line's last carriage return is the line end's
    expect(new LineSplitter().push('a\rb\r\n')).toEqual(['a\rb']);
  });

  it('merges replicas in time order although docker trims trailing zeros of the fraction', () => {
    expect(parseTimestamped('2026-01-01T10:00:00.1234Z hello world')).toEqual({ timestamp: '2026-01-01T10:00:00.1234Z', text: 'hello world' });
    expect(parseTimestamped('no timestamp')).toEqual({ timestamp: '', text: 'no timestamp' });
    expect(parseTimestamped('2026-01-01T10:00:00Z')).toEqual({ timestamp: '2026-01-01T10:00:00Z', text: '' });
    expect(parseTimestamped('2026-01-01T10:00:00Z a\u2028b')).toEqual({ timestamp: '2026-01-01T10:00:00Z', text: 'a\u2028b' });
    expect(parseTimestamped('2026-01-01T10:00:00.5+02:00 hi')).toEqual({ timestamp: '2026-01-01T10:00:00.5+02:00', text: 'hi' });
    // only at the start of the line, and only a whole one
    for (const line of ['x 2026-01-01T10:00:00Z hi', '2026-01-01T10:00:00+2:00 hi', '2026-01-01T10:00:00 hi']) expect(parseTimestamped(line), line).toEqual({ timestamp: '', text: line });
    // a whole second sorts before its fractions; a time with an offset or anything after the Z is left as it is
    expect(timestampKey('2026-01-01T10:00:01Z') < timestampKey('2026-01-01T10:00:01.5Z')).toBe(true);
    expect(timestampKey('2026-01-01T10:00:01.5Z') < timestampKey('2026-01-01T10:00:02Z')).toBe(true);
    expect(timestampKey('2026-01-01T10:00:01+02:00')).toBe('2026-01-01T10:00:01+02:00');
    expect(timestampKey('2026-01-01T10:00:01Zx')).toBe('2026-01-01T10:00:01Zx');
    expect(timestampKey('x2026-01-01T10:00:01Z')).toBe('x2026-01-01T10:00:01Z');
    expect(timestampKey('2026-01-01T10:00:00.1234Z') < timestampKey('2026-01-01T10:00:00.12345678Z')).toBe(true);
    expect('2026-01-01T10:00:00.1234Z' < '2026-01-01T10:00:00.12345678Z').toBe(false); // why timestampKey exists
    const merged = mergeByTime([
      { prefix: 'a/x-1', timestamp: '2026-01-01T10:00:00.2Z', text: 'a2' },
      { prefix: 'a/x-1', timestamp: '2026-01-01T10:00:01Z', text: 'a3' },
      { prefix: 'b/x-2', timestamp: '2026-01-01T10:00:00.15Z', text: 'b1' },
      { prefix: 'b/x-2', timestamp: '2026-01-01T10:00:00.2Z', text: 'b2' },
    ]);
    expect(merged.map((l) => l.text)).toEqual(['b1', 'a2', 'b2', 'a3']);
    // equal times keep their order, before and after a sort moves other lines around them
    const t = (text: string, s: number) => ({ prefix: 'p', timestamp: `2026-01-01T10:00:0${s}Z`, text });
    expect(mergeByTime([t('e1', 2), t('x', 1), t('e2', 2), t('e3', 2), t('y', 3), t('e4', 2)]).map((l) => l.text)).toEqual(['x', 'e1', 'e2', 'e3', 'e4', 'y']);
    expect(mergeByTime([t('z', 3), t('y', 2), t('x', 1)]).map((l) => l.text)).toEqual(['x', 'y', 'z']);
  });

  it('a worker pool\'s name selects its service on every host', () => {
    const dir = path.join(ROOT, 'examples', 'trading-homelab');
    const homelab = loadModel('homelab', dir);
    const pools = homelab.services.filter((s) => s.kind === 'worker-pool');
    expect(pools.length).toBeGreaterThan(1);
    const name = pools[0].node.scope!.node.id;
    expect(servicesNamed(homelab, name).map((s) => s.serviceName).sort()).toEqual(pools.filter((s) => s.node.scope!.node.id === name).map((s) => s.serviceName).sort());
    expect(servicesNamed(localModel(), 'backend').map((s) => s.serviceName)).toEqual(['backend']);
    // a pool's service on one host, by its own name: that one only
    expect(servicesNamed(homelab, pools[0].serviceName)).toEqual([pools[0]]);
    expect(() => servicesNamed(localModel(), 'nope')).toThrow('local has no service "nope"; its services: adminer, backend, celery-worker, db, frontend, orchestrator, prestart, proxy, redis, watcher');
    // a pool is named once in the list, by its own name, and sorted with the rest
    const listed = /its services: (.*)$/.exec((() => { try { servicesNamed(homelab, 'nope'); } catch (e) { return (e as Error).message; } return ''; })())![1].split(', ');
    expect(listed).toContain(name);
    expect(listed).not.toContain(pools[0].serviceName);
    expect(listed).toEqual([...listed].sort());
  });
});

const source = (o: Partial<SourceContainer> & { replica?: string; running?: boolean } = {}): SourceContainer => ({
  Id: 'abc', Name: `/local-backend-${o.replica ?? '1'}`, Image: 'sha256:1234',
  State: { Running: o.running ?? true, Status: o.running === false ? 'exited' : 'running' },
  Config: { Env: ['JWT_SECRET_FILE=/run/secrets/JWT_SECRET', 'PATH=/usr/bin'], User: '1000', WorkingDir: '/app', Labels: { 'stackyard.replica': o.replica ?? '1' } },
  HostConfig: { GroupAdd: ['0'] },
  NetworkSettings: { Networks: { 'local-proxy': {}, 'local-private': {} } },
  ...o,
});

describe('exec', () => {
  it('takes settings from the first running replica, or a stopped one for a one-off', () => {
    const a = source({ replica: '1', running: false });
    const b = source({ replica: '2' });
    expect(pickSource([b, a], {})).toBe(b);
    expect(pickSource([a], {})).toBe(a);
    expect(pickSource([a], { reuse: true })).toBeUndefined();
    expect(pickSource([a, b], { replica: 1 })).toBe(a);
    expect(pickSource([a, b], { replica: 3 })).toBeUndefined();
  });

  it('copies the secret files and generated files of the service', () => {
    expect(uploadedFiles(serviceOf(localModel(), 'backend'))).toEqual(expect.arrayContaining(['/run/secrets/JWT_SECRET', '/run/secrets/DB_PASSWORD', '/run/secrets/REDIS_PASSWORD']));
    expect(uploadedFiles(serviceOf(localModel(), 'proxy'))).toEqual([]);
  });

  it('plans a one-off container: same image id, env through a file, groups, networks, no service alias, not labelled as the environment', () => {
    const p = oneOffPlan({ env: 'local', service: serviceOf(localModel(), 'backend'), source: source(), command: ['ls', '-l', '/run/secrets'], envFilePath: '/tmp/x/env', suffix: 'abc123', o: { interactive: true, tty: true } });
    expect(p.name).toBe('local-backend-run-abc123');
    expect(p.create).toEqual([
      'create', '--rm', '--name', 'local-backend-run-abc123', '--hostname', 'local-backend-run-abc123',
      '--label', 'stackyard.exec=local', '--label', 'stackyard.exec.service=backend',
      '--env-file', '/tmp/x/env', '--user', '1000', '--group-add', '0', '--workdir', '/app',
      '--network', 'local-private', '--interactive', '--tty', 'sha256:1234', 'ls', '-l', '/run/secrets',
    ]);
    expect(p.connect).toEqual(['local-proxy']);
    expect(p.start).toEqual(['start', '--attach', '--interactive', 'local-backend-run-abc123']);
    expect(p.create.join(' ')).not.toContain('stackyard.environment');
    expect(p.create.join(' ')).not.toMatch(/JWT_SECRET_FILE|PATH=/); // the environment is in the file only
  });

  it('a bare replica (no user, workdir, groups or networks) and a service with an entrypoint: only what is there, the entrypoint\'s first word as --entrypoint and the rest before the command; no --tty without --interactive', () => {
    const bare: SourceContainer = { Id: 'x', Name: '/local-backend-1', Image: 'sha256:9', State: { Running: true, Status: 'running' }, Config: { Env: null, Labels: null }, HostConfig: { GroupAdd: null }, NetworkSettings: { Networks: null } };
    const service = (entrypoint: string[] | undefined) => ({ serviceName: 'backend', entrypoint }) as unknown as Service;
    const p = oneOffPlan({ env: 'local', service: service(['tini', '--', 'app']), source: bare, command: ['ls'], envFilePath: '/tmp/x/env', suffix: 's', o: { tty: true } });
    expect(p.create).toEqual([
      'create', '--rm', '--name', 'local-backend-run-s', '--hostname', 'local-backend-run-s',
      '--label', 'stackyard.exec=local', '--label', 'stackyard.exec.service=backend', '--env-file', '/tmp/x/env',
      '--entrypoint', 'tini', 'sha256:9', '--', 'app', 'ls',
    ]);
    expect(p.connect).toEqual([]);
    expect(p.start).toEqual(['start', '--attach', 'local-backend-run-s']);
    // an empty entrypoint is the image's
    expect(oneOffPlan({ env: 'local', service: service([]), source: bare, command: ['ls'], envFilePath: '/e', suffix: 's', o: {} }).create.slice(-5)).toEqual(['stackyard.exec.service=backend', '--env-file', '/e', 'sha256:9', 'ls']);
    // a replica without a replica label (a job's container) counts as replica 0: first
    const job = { ...bare, Id: 'job' };
    const one = { ...bare, Id: 'one', Config: { Labels: { 'stackyard.replica': '1' } } };
    expect(pickSource([one, job], {})).toBe(job);
  });

  it('copies only secrets read as files, not those read from the environment', () => {
    const dir = writeFiles({ 'x.yaml': 'name: x\nhosts: { h: { docker: "unix:///var/run/docker.sock" } }\nsecrets: [A, B]\nservices:\n  w: { kind: service, image: busybox, tag: "1", secrets: [A, { name: B, as: env }] }\n' });
    expect(uploadedFiles(serviceOf(loadModel('x', dir), 'w'))).toEqual(['/run/secrets/A']);
  });

  it('writes the env file, and refuses a value with a line break', () => {
    expect(() => envFile(['A=1', 'CERT=line1\rline2'])).toThrow('the environment variable CERT holds a line break, which docker\'s env file cannot carry; use --reuse');
    expect(envFile(['A=1', 'B=x y'])).toBe('A=1\nB=x y\n');
    expect(envFile([])).toBe('');
    expect(() => envFile(['A=1', 'CERT=line1\nline2'])).toThrow(/CERT holds a line break/);
  });
});

describe('maintenance', () => {
  it('routes every route of the environment to the page above the services\' own routers, plus a catch-all', () => {
    const l = maintenanceLabels(localModel());
    expect(l['stackyard.environment']).toBe('local');
    expect(l['stackyard.maintenance']).toBe('on');
    expect(l['traefik.docker.network']).toBe('local-proxy');
    const routers = Object.keys(l).filter((k) => k.endsWith('.rule')).map((k) => [k.split('.')[3], l[k], l[k.replace(/rule$/, 'priority')]]);
    expect(routers).toEqual([
      ['local-maintenance-adminer', 'Host(`adminer.localhost`)', String(MAINTENANCE_PRIORITY)],
      ['local-maintenance-backend', 'Host(`api.localhost`) || PathPrefix(`/api`)', String(MAINTENANCE_PRIORITY)],
      ['local-maintenance-frontend', 'Host(`localhost`) || Host(`dashboard.localhost`)', String(MAINTENANCE_PRIORITY)],
      ['local-maintenance-all', 'PathPrefix(`/`)', String(MAINTENANCE_PRIORITY - 1)],
    ]);
    // Traefik's default priority is the rule's length: far below; its internal routers start at MaxInt32 - 1000
    expect(MAINTENANCE_PRIORITY).toBeGreaterThan(10_000);
    expect(MAINTENANCE_PRIORITY).toBeLessThan(2 ** 31 - 1000);
    expect(l['traefik.http.routers.local-maintenance-backend.entrypoints']).toBe('web');
    expect(l['traefik.http.routers.local-maintenance-backend.middlewares']).toBe('local-maintenance');
    expect(l['traefik.http.middlewares.local-maintenance.replacepath.path']).toBe('/cgi-bin/maintenance');
    // local has no certificate resolver: no router asks for TLS
    expect(Object.keys(l).filter((k) => k.includes('.tls'))).toEqual([]);
    // Traefik reads the labels of containers that enable it (the proxy runs with exposedByDefault=false);
    // every router sends to the page's own service, on the port its program listens on (8080, below)
    expect(l['traefik.enable']).toBe('true');
    const routerServices = Object.entries(l).filter(([k]) => /^traefik\.http\.routers\.[^.]+\.service$/.test(k)).map(([, v]) => v);
    expect(routerServices).toEqual(Array(4).fill('local-maintenance'));
    expect(l['traefik.http.services.local-maintenance.loadbalancer.server.port']).toBe('8080');
  });

  it('a service with two routes gets a router for each, the second named -2, neither overwriting the other', () => {
    const m = loadModel('local', path.join(ROOT, 'environments'));
    m.services.find((s) => s.serviceName === 'backend')!.addRoute({ rule: 'Host(`second.localhost`)', port: 8000 });
    const l = maintenanceLabels(m);
    expect(l['traefik.http.routers.local-maintenance-backend.rule']).toBe('Host(`api.localhost`) || PathPrefix(`/api`)');
    expect(l['traefik.http.routers.local-maintenance-backend-2.rule']).toBe('Host(`second.localhost`)');
    expect(l['traefik.http.routers.local-maintenance-backend-2.service']).toBe('local-maintenance');
  });

  it('with TLS: each service\'s router keeps its route\'s entrypoints and the certificate resolver; the plain-HTTP catch-all takes every entrypoint, without TLS', () => {
    const l = maintenanceLabels(loadModel('production', path.join(ROOT, 'environments')));
    const r = (name: string, key: string) => l[`traefik.http.routers.production-maintenance-${name}.${key}`];
    expect([r('backend', 'entrypoints'), r('backend', 'tls.certresolver')]).toEqual(['websecure', 'le']);
    expect([r('frontend', 'entrypoints'), r('frontend', 'tls.certresolver')]).toEqual(['websecure', 'le']);
    expect([r('all', 'entrypoints'), r('all', 'tls.certresolver')]).toEqual(['web,websecure', undefined]);
    // the page runs beside the proxy: the label that places it names the proxy's host
    expect(l['stackyard.host']).toBe('core');
  });

  it('the page container\'s arguments: small capped logs, every label once and sorted, the message only in its variable', () => {
    const args = maintenanceCreateArgs(localModel(), 'x', 'busybox:1.37');
    expect(args.slice(0, 15)).toEqual(['run', '--detach', '--name', 'local-maintenance', '--hostname', 'local-maintenance', '--restart', 'unless-stopped', '--network', 'local-proxy', '--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--log-opt']);
    expect(args[15]).toBe('max-file=1');
    const labels = args.filter((_, i) => args[i - 1] === '--label');
    expect(labels).toEqual(Object.entries(maintenanceLabels(localModel())).map(([k, v]) => `${k}=${v}`).sort());
    expect(labels.map((x) => x.split('=')[0])).toEqual([...labels.map((x) => x.split('=')[0])].sort((a, b) => a.localeCompare(b)));
  });

  it('the page escapes the message; the program the container runs holds nothing the user typed', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'q'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(maintenancePage('back at <b>5</b>\nsorry')).toContain('<p>back at &lt;b&gt;5&lt;/b&gt;<br>sorry</p>');
    const args = maintenanceCreateArgs(localModel(), 'Back at 5 $(reboot)', 'busybox:1.37');
    const script = args[args.length - 1];
    expect(script).not.toContain('Back at 5');
    expect(args).toContain(`STACKYARD_MAINTENANCE_PAGE=${maintenancePage('Back at 5 $(reboot)')}`);
    expect(args.slice(-4, -1)).toEqual(['busybox:1.37', 'sh', '-c']);
    expect(args.join(' ')).toContain('--network local-proxy');
    expect(DEFAULT_MESSAGE).toMatch(/maintenance/);
  });

  it('the page container\'s program, run as docker would (its entrypoint, command and variable) with a real busybox in a network namespace of its own: at the path the proxy rewrites every request to, 503 with Retry-After and the escaped message', () => {
    // busybox is Debian's (.ci/run installs it), the official image's interface: /bin/busybox
    if (!fs.existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing: apt-get install busybox (.ci/run installs it)');
    const args = maintenanceCreateArgs(localModel(), 'Back at 5 <b>$(reboot)</b>', 'busybox:1.37');
    const entrypoint = args[args.indexOf('--entrypoint') + 1];
    const command = args.slice(args.indexOf('busybox:1.37') + 1);
    const page = args[args.indexOf('--env') + 1].replace(/^STACKYARD_MAINTENANCE_PAGE=/, '');
    const rewritten = args.find((a) => a.startsWith('traefik.http.middlewares.local-maintenance.replacepath.path='))!.split('=')[1];
    // the probe runs the program in the background, then asks its port until it answers
    const probe = [
      'busybox ip link set lo up && mount -t tmpfs tmpfs /tmp || exit 9',
      '"$@" &',
      'for i in $(busybox seq 100); do',
      "  printf 'GET %s HTTP/1.0\\r\\n\\r\\n' \"$PAGE_PATH\" | busybox nc 127.0.0.1 8080 >/tmp/answer 2>/dev/null && [ -s /tmp/answer ] && { cat /tmp/answer; kill $!; exit 0; }",
      '  busybox usleep 100000',
      'done',
      'kill $!; exit 8',
    ].join('\n');
    const r = spawnSync('unshare', ['--mount', '--net', '--fork', '--', 'sh', '-c', probe, 'probe', entrypoint, ...command], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', STACKYARD_MAINTENANCE_PAGE: page, PAGE_PATH: rewritten }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, `${r.stderr}${r.error?.message ?? ''}`).toBe(0);
    const [head, body] = r.stdout.split('\r\n\r\n');
    expect(head.split('\r\n')).toEqual(['HTTP/1.0 503 Service Unavailable', 'Content-Type: text/html; charset=utf-8', 'Retry-After: 300', 'Cache-Control: no-store']);
    // the page, written out: a complete HTML document, nothing loaded from elsewhere, the message escaped
    expect(body).toBe([
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
      '<title>Down for maintenance</title>',
      '<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-size:1.5rem}</style>',
      '</head><body>',
      '<h1>Down for maintenance</h1>',
      '<p>Back at 5 &lt;b&gt;$(reboot)&lt;/b&gt;</p>',
      '</body></html>',
      '',
    ].join('\n'));
  });

  it('refuses an environment without a proxy', () => {
    const dir = writeFiles({ 'x.yaml': 'name: x\nhosts: { h: { docker: "unix:///var/run/docker.sock" } }\nservices:\n  w: { kind: service, image: busybox, tag: "1" }\n' });
    expect(() => maintenanceLabels(loadModel('x', dir))).toThrow('x has no proxy (a service of kind: traefik), so nothing is routed; there is no page to put up or take down');
  });

  it('the orphan reaper keeps the page', () => {
    expect(keptByReaper({ 'stackyard.environment': 'local', 'stackyard.maintenance': 'on' })).toBe(true);
    expect(keptByReaper({ 'stackyard.environment': 'local' })).toBe(false);
  });
});

describe('host checks', () => {
  it('names what failed and how to fix it', () => {
    const cases: [string, string, RegExp][] = [
      ['ssh://root@h', 'Host key verification failed.\r\n', /host key not accepted.*hostKey/],
      ['ssh://root@h', 'root@10.0.0.1: Permission denied (publickey).', /ssh key refused.*authorized_keys/],
      ['ssh://root@h', 'ssh: connect to host h port 22: Connection refused', /ssh connection refused.*sshd/],
      ['ssh://root@h', 'ssh: connect to host h port 22: Connection timed out', /no answer \(timeout\)/],
      ['ssh://root@h', 'ssh: Could not resolve hostname h: Name or service not known', /does not resolve/],
      ['ssh://root@h', 'sh: 1: docker: not found', /no docker command.*install Docker/],
      ['unix:///var/run/docker.sock', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', /not running.*systemctl start docker/],
      ['unix:///x.sock', 'permission denied while trying to connect to the Docker daemon socket', /docker group/],
      // each alternative of each pattern, and the engine's own wording beside ssh's
      ['ssh://root@h', 'No ED25519 host key is known for h and you have requested strict checking.', /^host key not accepted: pin the host key in hosts.<h>.hostKey/],
      ['ssh://root@h', 'No host key is known for h and you have requested strict checking.', /^host key not accepted: /],
      ['ssh://root@h', 'host key verification failed', /^host key not accepted: /],
      ['ssh://root@h', 'getaddrinfo: Name or service not known', /^host name does not resolve: /],
      ['ssh://root@h', 'ssh: connect to host h port 22: No route to host', /^no answer \(timeout\): /],
      ['ssh://root@h', 'ssh: connect to host h port 22: Network is unreachable', /^no answer \(timeout\): /],
      ['ssh://root@h', 'ssh -o ... docker info: killed by SIGKILL after 45 s', /^no answer \(timeout\): /],
      ['ssh://root@h', 'bash: line 1: docker: command not found', /^no docker command on the host: /],
      ['ssh://root@h', 'sh: 1: exec: docker: No such file or directory', /^no docker command on the host: /],
      ['ssh://root@h', 'Is the docker daemon running?', /^Docker engine not running: /],
      ['unix:///x.sock', 'dial unix /x.sock: connect: connection refused', /^connection refused: start the Docker engine \(systemctl start docker\) or fix hosts.<h>.docker$/],
      ['ssh://root@h', 'line 1\nsomething new\n', /^something new: run the same connection by hand: ssh <sshOptions> <user@host> docker version$/],
      ['tcp://h:2376', 'something new', /^something new: check that the Docker engine answers at this URL$/],
    ];
    for (const [url, err, want] of cases) {
      const c = classifyConnectionError(url, err);
      expect(`${c.text}: ${c.fix}`, err).toMatch(want);
    }
  });

  it('checks versions, disk and clock against their limits', () => {
    expect(versionAtLeast('20.10.24+dfsg1', '20.10.0')).toBe(true);
    expect(versionAtLeast('28.2.2', '20.10.0')).toBe(true);
    expect(versionAtLeast('19.03.15', '20.10.0')).toBe(false);
    expect(versionAtLeast('20.9.99', '20.10.0')).toBe(false);
    // a version without a number counts as 0
    expect(versionAtLeast('unknown', '1')).toBe(false);
    // the last line counts, wherever df's columns start
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n   /dev/sda1 100 50 2048 50% /\n')).toBe(2048 * 1024);
    expect(engineVerdict('19.03.1')).toMatchObject({ ok: false, text: 'Docker 19.03.1 is older than 20.10.0' });
    expect(diskVerdict('/var/lib/docker', 50 * 1024 ** 3)).toEqual({ ok: true, text: '50.0 GiB free on /var/lib/docker' });
    expect(diskVerdict('/var/lib/docker', 500 * 1024 ** 2)).toMatchObject({ ok: false, text: 'only 500 MiB free on /var/lib/docker (at least 2.0 GiB needed)' });
    expect(clockVerdict('2026-01-01T10:00:01Z', Date.parse('2026-01-01T10:00:00Z'), Date.parse('2026-01-01T10:00:00Z'))).toEqual({ ok: true, text: 'clock +1.0s' });
    expect(clockVerdict('2026-01-01T09:58:00Z', Date.parse('2026-01-01T10:00:00Z'), Date.parse('2026-01-01T10:00:02Z'))).toMatchObject({ ok: false, text: 'clock -121.0s off this machine (more than 30s)' });
    expect(parseDf('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 50 2048 50% /\n')).toBe(2048 * 1024);
    expect(parseDf('garbage')).toBeUndefined();
    // a tcp:// engine has no shell to ask: not a failure (a deploy to it must not stop there)
    expect(diskVerdict('/var/lib/docker', 'not asked')).toEqual({ ok: true, text: 'free space on /var/lib/docker not checked (tcp://)' });
    expect(diskVerdict('/var/lib/docker', undefined)).toMatchObject({ ok: false, text: 'free space on /var/lib/docker unknown' });
  });

  it('NFS: a kernel that lists nfs/nfs4 or has the nfs module can mount an nfs volume; one with neither cannot, with the fix', () => {
    expect(nfsVerdict('nodev\tsysfs\nnodev\tnfs\nnodev\tnfs4\n---\n')).toEqual({ ok: true, text: 'NFS client (kernel)' });
    expect(nfsVerdict('nodev\tsysfs\n\text4\n---\n/lib/modules/6.1.0/kernel/fs/nfs/nfs.ko.xz\n')).toEqual({ ok: true, text: 'NFS client (module)' });
    // nfsd (the server's file system) is not the client
    expect(nfsVerdict('nodev\tsysfs\nnodev\tnfsd\n---\n')).toMatchObject({ ok: false, text: 'no NFS support in the kernel (an nfs volume cannot be mounted here)' });
    expect(nfsVerdict(undefined)).toMatchObject({ ok: false, text: 'NFS support unknown' });
    expect(nfsVerdict('not asked')).toEqual({ ok: true, text: 'NFS client not checked (tcp://)' });
  });

  it('the NFS probe runs here (sh, /proc, /lib/modules) and its verdict agrees with this kernel\'s /proc/filesystems (no NFS on these machines)', () => {
    const r = spawnSync('sh', ['-c', NFS_PROBE], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('---');
    // each line of /proc/filesystems ends with the file system's name
    const hasNfs = fs.readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => ['nfs', 'nfs4'].includes(l.trim().split(/\s+/).pop() ?? ''));
    expect(nfsVerdict(r.stdout).ok).toBe(hasNfs || /nfs\.ko/.test(r.stdout));
  });

  it('a probe over ssh reaches the remote shell as one command: a folder with a space and a quote is one word for df', async () => {
    const dir = tempDir();
    // stands in for ssh to a host: drops the options and the host, and hands the rest to a shell
    // as one string, as sshd does with the words ssh sends
    fs.writeFileSync(path.join(dir, 'ssh'), '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift 2\nexec sh -c "$*"\n', { mode: 0o755 });
    const odd = path.join(dir, "data root's copy");
    fs.mkdirSync(odd);
    const conn = new HostConnection({ name: 'core', docker: 'ssh://root@core', hostKey: KEY }, { ...process.env, PATH: `${dir}:${process.env.PATH}` });
    try {
      const free = await freeOnRoot(conn, odd);
      expect(typeof free === 'number' && free > 0, String(free)).toBe(true);
      expect(await freeOnRoot(conn, path.join(dir, 'missing; touch pwned'))).toBeUndefined(); // df fails: unknown, and nothing ran
      expect(fs.existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
      const probe = await onHostShell(conn, NFS_PROBE);
      expect(probe !== 'not asked' && probe.code === 0 && probe.stdout.includes('---')).toBe(true);
    } finally {
      conn.close();
    }
    const tcp = new HostConnection({ name: 't', docker: 'tcp://h:2376' }, { PATH: '/usr/bin' });
    expect(await onHostShell(tcp, 'true')).toBe('not asked');
    expect(await freeOnRoot(tcp, '/var/lib/docker')).toBe('not asked');
    // a unix:// engine is on this machine: its shell is this one
    const local = new HostConnection({ name: 'l', docker: 'unix:///var/run/docker.sock' }, { PATH: '/usr/bin:/bin' });
    expect(await onHostShell(local, 'echo $((6 * 7)); exit 3')).toEqual({ code: 3, stdout: '42\n', stderr: '' });
  });

  it('a deploy stops on an unreachable host or a too old engine; low disk and clock skew only warn (a rollback during a full-disk outage must go through)', () => {
    const ok = { ok: true as const, text: 'fine' };
    const bad = { ok: false as const, text: 'bad', fix: 'fix it' };
    const check = (o: Partial<HostCheck>): HostCheck => ({ host: 'h', docker: 'ssh://h', reachable: ok, engine: ok, disk: ok, clock: ok, ok: false, ...o });
    expect(blocksDeploy(check({ reachable: bad, engine: undefined, disk: undefined, clock: undefined }))).toBe(true);
    expect(blocksDeploy(check({ engine: bad }))).toBe(true);
    expect(blocksDeploy(check({ disk: bad }))).toBe(false);
    expect(blocksDeploy(check({ clock: bad }))).toBe(false);
    expect(blocksDeploy(check({ ok: true }))).toBe(false);
    // a host that cannot mount the NFS volumes its services use: the apply would fail there
    expect(blocksDeploy(check({ nfs: bad }))).toBe(true);
  });

  it('prints one line per host, then each fix', () => {
    const ok = { ok: true as const };
    expect(formatHostCheck({ host: 'core', docker: 'ssh://root@core', ok: true, reachable: { ...ok, text: 'ssh ok (pinned key)' }, engine: { ...ok, text: 'Docker 28.2.2' }, disk: { ...ok, text: '9.0 GiB free on /var/lib/docker' }, clock: { ...ok, text: 'clock +0.1s' } }))
      .toBe('ok   core (ssh://root@core): ssh ok (pinned key), Docker 28.2.2, 9.0 GiB free on /var/lib/docker, clock +0.1s');
    expect(formatHostCheck({ host: 'w', docker: 'ssh://root@w', ok: false, reachable: { ok: false, text: 'ssh key refused', fix: 'add the key' } }))
      .toBe('FAIL w (ssh://root@w): ssh key refused\n       ssh key refused: add the key');
  });
});
