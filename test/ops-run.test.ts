/**
 * The day-2 commands' runs (lib/ops/logs.ts, maintenance.ts, status.ts, exec.ts) in process, against a
 * stand-in `docker` (test/stand-in-docker.ts): which docker commands they send to which host, how
 * they merge and judge the answers, and what they say when a command fails. test/ops.test.ts tests
 * their decisions one by one; test/e2e/ops.test.ts runs them on the real engine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../lib/cli/exit-codes';
import { runExec } from '../lib/ops/exec';
import { runLogs } from '../lib/ops/logs';
import { runMaintenance } from '../lib/ops/maintenance';
import { loadModel } from '../lib/ops/model';
import { collectStatus, formatStatus } from '../lib/ops/status';
import { MINIMAL, tempDir, writeFiles } from './helpers';
import { standInDocker, type StandIn, type StandInContainer } from './stand-in-docker';

const SOCKET = '/nonexistent/stackyard-test/docker.sock';
const ENV = MINIMAL.replace('unix:///var/run/docker.sock', `unix://${SOCKET}`);
const saved = { ...process.env };
let docker: StandIn;
const model = () => loadModel('test', writeFiles({ 'test.yaml': ENV }));

beforeEach(() => {
  docker = standInDocker(tempDir());
  Object.assign(process.env, { PATH: `${docker.bin}:${saved.PATH}`, ...docker.env });
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

const replica = (service: string, n: number, extra: Partial<StandInContainer> & Record<string, unknown> = {}): StandInContainer => ({
  Id: `id-${service}-${n}`, Name: `/test-${service}-${n}`, Image: `sha256:${service}`,
  Config: { Labels: { 'stackyard.environment': 'test', 'stackyard.service': service, 'stackyard.replica': String(n) } }, ...extra,
});
async function rejects(run: Promise<unknown>, message: string | RegExp, exitCode = 1): Promise<void> {
  const e = await run.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(CliError);
  expect((e as CliError).message).toMatch(message);
  expect((e as CliError).message).toBe((e as CliError).message.trim()); // docker's reasons without their line break
  expect((e as CliError).exitCode).toBe(exitCode);
}

describe('logs', () => {
  const logs = {
    'test-api-1': { stdout: '2026-11-30T10:00:01.000000000Z one\n2026-11-30T10:00:03.5Z three\n' },
    'test-api-2': { stdout: '2026-11-30T10:00:02.000000000Z two\n', stderr: '2026-11-30T10:00:04.000000000Z four (stderr)\n' },
  };

  it('every replica\'s lines, stdout and stderr, merged by time and prefixed with host/replica; --tail and --since reach docker', async () => {
    docker.set({ containers: [replica('api', 2), replica('api', 1), replica('db', 1)], logs });
    const lines: string[] = [];
    expect(await runLogs(model(), 'api', { tail: '5', since: '10m' }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['main/api-1 | one', 'main/api-2 | two', 'main/api-1 | three', 'main/api-2 | four (stderr)']);
    // the replicas are asked at the same time: the stand-in logs them in whichever order they start
    const logCalls = docker.calls().filter((c) => c[0] === 'logs').sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
    expect(logCalls).toEqual([
      ['logs', '--timestamps', '--since', '10m', '--tail', '5', 'test-api-1'],
      ['logs', '--timestamps', '--since', '10m', '--tail', '5', 'test-api-2'],
    ]);
    expect(docker.calls()).toContainEqual(['ps', '-a', '--format', '{{.Names}}', '--filter', 'label=stackyard.environment=test', '--filter', 'label=stackyard.service=api']);
  });

  it('-t keeps docker\'s timestamps; -f follows each replica until its stream ends', async () => {
    docker.set({ containers: [replica('api', 1)], logs });
    const lines: string[] = [];
    expect(await runLogs(model(), 'api', { timestamps: true }, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['main/api-1 | 2026-11-30T10:00:01.000000000Z one', 'main/api-1 | 2026-11-30T10:00:03.5Z three']);
    const followed: string[] = [];
    let stop: (() => void) | undefined;
    expect(await runLogs(model(), 'api', { follow: true }, (l) => followed.push(l), (s) => (stop = s))).toBe(0);
    expect(followed).toEqual(['main/api-1 | one', 'main/api-1 | three']);
    expect(typeof stop).toBe('function');
    expect(docker.calls().at(-1)).toEqual(['logs', '--timestamps', '--follow', 'test-api-1']);
  });

  it('-f with -t: each line with its timestamp, a last line without its line break too (when the stream ends)', async () => {
    docker.set({ containers: [replica('api', 1)], logs: { 'test-api-1': { stdout: '2026-11-30T10:00:01Z one\n2026-11-30T10:00:02Z partial', stderr: '2026-11-30T10:00:03Z err' } } });
    const lines: string[] = [];
    expect(await runLogs(model(), 'api', { follow: true, timestamps: true }, (l) => lines.push(l))).toBe(0);
    expect(lines.sort()).toEqual(['main/api-1 | 2026-11-30T10:00:01Z one', 'main/api-1 | 2026-11-30T10:00:02Z partial', 'main/api-1 | 2026-11-30T10:00:03Z err']);
    const plain: string[] = [];
    expect(await runLogs(model(), 'api', { follow: true }, (l) => plain.push(l))).toBe(0);
    expect(plain.sort()).toEqual(['main/api-1 | err', 'main/api-1 | one', 'main/api-1 | partial']);
  });

  it('a replica whose logs fail: the others are printed, the failure named, exit 1', async () => {
    docker.set({ containers: [replica('api', 1), replica('api', 2)], logs: { 'test-api-1': logs['test-api-1'] } });
    const lines: string[] = [];
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((c: string) => ((err += c), true)) as typeof process.stderr.write;
    try {
      expect(await runLogs(model(), 'api', {}, (l) => lines.push(l))).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toEqual(['main/api-1 | one', 'main/api-1 | three']);
    expect(err).toContain('stackyard: docker logs test-api-2 on main failed: Error response from daemon: No such container: test-api-2');
  });

  it('replicas in number order (a container without a number first), prefixes padded to the widest; equal times keep that order', async () => {
    const at = '2026-11-30T10:00:00Z';
    const names = ['api-10', 'api-2', 'api-1', 'api'];
    docker.set({
      containers: names.map((n) => ({ Id: `id-${n}`, Name: `/test-${n}`, Config: { Labels: { 'stackyard.environment': 'test', 'stackyard.service': 'api' } } })),
      logs: Object.fromEntries(names.map((n) => [`test-${n}`, { stdout: `${at} from ${n}\n` }])),
    });
    const lines: string[] = [];
    expect(await runLogs(model(), 'api', {}, (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['main/api    | from api', 'main/api-1  | from api-1', 'main/api-2  | from api-2', 'main/api-10 | from api-10']);
  });

  it('a failed replica\'s reason is docker\'s message once, trimmed', async () => {
    docker.set({ containers: [replica('api', 1)], logs: { 'test-api-1': { stderr: '  Error response from daemon: container is dead \n\n', code: 1 } } });
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((c: string) => ((err += c), true)) as typeof process.stderr.write;
    try {
      expect(await runLogs(model(), 'api', {}, () => undefined)).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(err).toBe('stackyard: docker logs test-api-1 on main failed: Error response from daemon: container is dead\n');
  });

  it('-f: a replica whose stream fails makes the exit code 1, after the others\' lines', async () => {
    docker.set({ containers: [replica('api', 1), replica('api', 2)], logs: { 'test-api-1': logs['test-api-1'] } });
    const lines: string[] = [];
    expect(await runLogs(model(), 'api', { follow: true }, (l) => lines.push(l))).toBe(1);
    expect(lines.filter((l) => l.startsWith('main/api-1 |'))).toEqual(['main/api-1 | one', 'main/api-1 | three']);
  });

  it('nothing deployed: only the hosts the service runs on are named', async () => {
    docker.set({ containers: [] });
    const two = ENV.replace('hosts:\n', `hosts:\n  edge: { docker: "unix://${SOCKET}", address: 10.0.0.2 }\n`).replace('entrypoints: { web: 8001 } }', 'entrypoints: { web: 8001 }, host: main }').replace('password: DB_PASSWORD }', 'password: DB_PASSWORD, host: main }').replace('    kind: web\n', '    kind: web\n    host: main\n') + '  w: { kind: service, image: busybox, tag: "1", host: edge }\n';
    await rejects(runLogs(loadModel('test', writeFiles({ 'test.yaml': two })), 'api', {}), 'no container of api exists on main; deploy test first');
  });

  it('nothing deployed, a bad --since or --tail: refused with what to do (usage errors before any host is asked)', async () => {
    docker.set({ containers: [] });
    await rejects(runLogs(model(), 'api', {}), 'no container of api exists on main; deploy test first');
    const before = docker.calls().length;
    await rejects(runLogs(model(), 'api', { since: 'yesterday' }), /--since "yesterday": expected a duration/, 2);
    await rejects(runLogs(model(), 'api', { tail: '-3' }), /--tail "-3": expected a number of lines or "all"/, 2);
    expect(docker.calls()).toHaveLength(before);
  });
});

describe('hosts', () => {
  it('checks each used host; the NFS probe only where a service mounts an NFS volume (none here)', async () => {
    const { runHostChecks } = await import('../lib/ops/hosts');
    docker.set({ root: tempDir() });
    const checks = await runHostChecks(model());
    expect(checks.map((c) => [c.host, c.reachable.text, c.engine?.text])).toEqual([['main', 'reachable', 'Docker 27.5.1']]);
    expect(checks[0]).not.toHaveProperty('nfs');
  });

  it('a host where a service mounts an NFS volume is probed for NFS support', async () => {
    const { runHostChecks } = await import('../lib/ops/hosts');
    docker.set({ root: tempDir() });
    const withNfs = ENV.replace('services:\n', 'nfs:\n  shared: { server: files }\nservices:\n  files: { kind: nfs-server, bind: 0.0.0.0 }\n') + '    mounts: { shared: /mnt/shared }\n';
    const checks = await runHostChecks(loadModel('test', writeFiles({ 'test.yaml': withNfs })));
    expect(checks.map((c) => c.host)).toEqual(['main']);
    expect(checks[0].nfs?.text).toMatch(/NFS/);
  });
});

describe('maintenance', () => {
  let said: string[];
  beforeEach(() => {
    said = [];
  });
  const say = (l: string) => said.push(l);

  it('on: the page container starts on the proxy\'s host with the message; on again replaces it; off removes it; off again has nothing to do', async () => {
    docker.set({ containers: [] });
    expect(await runMaintenance(model(), 'on', { message: 'Back at 10' }, say)).toBe(0);
    const run = docker.calls().find((c) => c[0] === 'run')!;
    expect(run.slice(0, 4)).toEqual(['run', '--detach', '--name', 'test-maintenance']);
    expect(run).toContain('busybox:1.37');
    expect(run.join(' ')).toContain('Back at 10');
    expect(said.at(-1)).toBe('maintenance on for test: test-maintenance on main answers 503 for 1 route(s) and everything else on the proxy; containers keep running. stackyard maintenance test off ends it.');
    expect(docker.world().containers.map((c) => c.Name)).toEqual(['/test-maintenance']);

    expect(await runMaintenance(model(), 'on', { image: 'registry.example.com/busybox:1' }, say)).toBe(0);
    expect(said.at(-1)).toContain('(message replaced)');
    expect(docker.calls().filter((c) => c[0] === 'rm')).toEqual([['rm', '--force', 'test-maintenance']]);
    expect(docker.calls().filter((c) => c[0] === 'run').at(-1)).toContain('registry.example.com/busybox:1');

    expect(await runMaintenance(model(), 'off', {}, say)).toBe(0);
    expect(said.at(-1)).toBe('maintenance off for test: test-maintenance removed on main; the services answer again');
    expect(docker.world().containers).toEqual([]);
    expect(await runMaintenance(model(), 'off', {}, say)).toBe(0);
    expect(said.at(-1)).toBe('maintenance was not on for test; nothing to do');
  });

  it('a page image the host lacks: refused naming the image and --image; a host that does not answer: named', async () => {
    docker.set({ runFails: 'Unable to find image \'busybox:1.37\' locally\ndocker: Error response from daemon: pull access denied for busybox' });
    await rejects(runMaintenance(model(), 'on', {}, say), /could not start test-maintenance on main: .*pull access denied for busybox \(the page needs the image busybox:1\.37 on main, or --image with busybox at \/bin\/busybox\)$/s);
    docker.set({ runFails: 'Error response from daemon: network test-proxy not found' });
    await rejects(runMaintenance(model(), 'on', {}, say), /could not start test-maintenance on main: Error response from daemon: network test-proxy not found \(the page needs/);
    docker.set({ runFails: 'Error response from daemon: port is already allocated' });
    await rejects(runMaintenance(model(), 'on', {}, say), /could not start test-maintenance on main: Error response from daemon: port is already allocated$/);
    docker.set({ down: true });
    await rejects(runMaintenance(model(), 'off', {}, say), new RegExp(`^host main \\(unix://${SOCKET}\\) did not answer: Cannot connect to the Docker daemon`));
    expect(said).toEqual([]);
  });

  it('only the page itself counts as on: a container of that name without the page\'s label, or a longer name with it, is left alone', async () => {
    const own = { Id: 'id-own', Name: '/test-maintenance', Config: { Labels: { 'stackyard.environment': 'test' } } };
    const longer = { Id: 'id-longer', Name: '/test-maintenance-old', Config: { Labels: { 'stackyard.maintenance': 'on' } } };
    docker.set({ containers: [own, longer] });
    expect(await runMaintenance(model(), 'off', {}, say)).toBe(0);
    expect(said).toEqual(['maintenance was not on for test; nothing to do']);
    expect(docker.calls()).toEqual([['ps', '-aq', '--filter', 'name=^/test-maintenance$', '--filter', 'label=stackyard.maintenance']]);
    expect(docker.world().containers.map((c) => c.Name)).toEqual(['/test-maintenance', '/test-maintenance-old']);
  });

  it('a page that cannot be removed: refused with docker\'s reason, and no new page started', async () => {
    docker.set({ containers: [{ Id: 'id-page', Name: '/test-maintenance', Config: { Labels: { 'stackyard.maintenance': 'on' } } }], rmFails: 'Error response from daemon: removal of container test-maintenance is already in progress' });
    await rejects(runMaintenance(model(), 'on', {}, say), 'could not remove test-maintenance on main: Error response from daemon: removal of container test-maintenance is already in progress');
    await rejects(runMaintenance(model(), 'off', {}, say), /^could not remove test-maintenance on main: /);
    expect(docker.calls().filter((c) => c[0] === 'run')).toEqual([]);
    expect(said).toEqual([]);
  });

  it('a registry\'s "Not Found" in any case names the image the page needs', async () => {
    docker.set({ runFails: 'Error response from daemon: manifest for busybox:1.37 Not Found' });
    await rejects(runMaintenance(model(), 'on', {}, say), /Not Found \(the page needs the image busybox:1\.37 on main, or --image with busybox at \/bin\/busybox\)$/);
  });

  it('an environment without a proxy: on and off both refused with the reason, no host asked', async () => {
    const dir = writeFiles({ 'x.yaml': `name: x\nhosts: { main: { docker: "unix://${SOCKET}" } }\nservices:\n  w: { kind: service, image: busybox, tag: "1" }\n` });
    for (const mode of ['on', 'off']) await rejects(runMaintenance(loadModel('x', dir), mode, {}, say), 'x has no proxy (a service of kind: traefik), so nothing is routed; there is no page to put up or take down');
    expect(docker.calls()).toEqual([]);
  });

  it('a mode other than on or off is a usage error', async () => {
    await rejects(runMaintenance(model(), 'maybe', {}, say), 'expected on or off, got "maybe"', 2);
    expect(docker.calls()).toEqual([]);
  });
});

describe('status', () => {
  const running = (started: string, health?: string) => ({ Status: 'running', StartedAt: started, ...(health ? { Health: { Status: health } } : {}) });

  it('asks the host for the environment\'s containers and their images\' tags, and judges them against the file', async () => {
    const t = '2026-11-30T10:00:00.000000000Z';
    docker.set({
      containers: [
        replica('api', 1, { State: running(t, 'healthy'), RestartCount: 0, Image: 'sha256:api' } as never),
        replica('api', 2, { State: running(t, 'unhealthy'), RestartCount: 3, Image: 'sha256:api' } as never),
        replica('db', 1, { State: running(t, 'healthy'), Image: 'sha256:pg' } as never),
      ],
      images: [{ Id: 'sha256:api', RepoTags: ['ghcr.io/acme/api:1.0'] }, { Id: 'sha256:pg', RepoTags: ['postgres:17'] }],
    });
    const report = await collectStatus(model(), () => Date.parse('2026-11-30T10:05:00Z'));
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.hosts[0].containers.map((c) => [c.name, c]));
    expect(byName['test-api-1']).toMatchObject({ image: 'ghcr.io/acme/api:1.0', health: 'healthy', ok: true, uptimeSeconds: 300 });
    expect(byName['test-api-2']).toMatchObject({ health: 'unhealthy', restarts: 3, ok: false });
    expect(byName['test-db-1']).toMatchObject({ image: 'postgres:17', ok: true });
    expect(byName['test-proxy-1']).toMatchObject({ state: 'missing', ok: false });
    expect(report.problems.join('\n')).toMatch(/test-api-2/);
    expect(report.problems.join('\n')).toMatch(/test-proxy-1/);
    expect(formatStatus(report).join('\n')).toContain('test: 2 problem(s):');
    const image = docker.calls().find((c) => c[0] === 'image')!;
    expect(image.slice(0, 4)).toEqual(['image', 'inspect', '--format', '{{.Id}} {{json .RepoTags}}']);
    expect(image.slice(4).sort()).toEqual(['sha256:api', 'sha256:pg']);
  });

  it('an image with several tags shows the one of the file\'s repository (a registry with a port too, tags of any length); else the configured name, else its first tag', async () => {
    const t = '2026-11-30T10:00:00Z';
    const registry = loadModel('test', writeFiles({ 'test.yaml': ENV.replace('image: ghcr.io/acme/api', 'image: localhost:5000/acme/api').replace('tag: "1.0"', 'tag: "2.10.3"') }));
    docker.set({
      containers: [
        replica('api', 1, { State: running(t), Image: 'sha256:api' } as never),
        replica('db', 1, { State: running(t), Image: 'sha256:pg', Config: { Image: 'postgres:17', Labels: { 'stackyard.environment': 'test', 'stackyard.service': 'db', 'stackyard.replica': '1' } } } as never),
        replica('proxy', 1, { State: running(t), Image: 'sha256:tr' } as never),
      ],
      images: [
        { Id: 'sha256:api', RepoTags: ['localhost/acme/api:old', 'localhost:5000/acme/api-b:1', 'localhost:5000/acme/api:2.10.3'] },
        { Id: 'sha256:pg', RepoTags: ['aaa/pg:1', 'postgres:17'] },
        { Id: 'sha256:tr', RepoTags: ['zz/traefik:1', 'traefik:v3'] },
      ],
    });
    const byName = Object.fromEntries((await collectStatus(registry, () => Date.parse(t))).hosts[0].containers.map((c) => [c.name, c.image]));
    expect(byName).toMatchObject({ 'test-api-1': 'localhost:5000/acme/api:2.10.3', 'test-db-1': 'postgres:17', 'test-proxy-1': 'traefik:v3' });
  });

  it('nothing on the host: every container missing; no image asked for', async () => {
    docker.set({ containers: [] });
    const report = await collectStatus(model());
    expect(report.ok).toBe(false);
    expect(report.hosts[0].containers.every((c) => c.state === 'missing')).toBe(true);
    expect(docker.calls().some((c) => c[0] === 'image')).toBe(false);
  });
});

describe('exec', () => {
  const CANARY = 'postgres://app:canary-pw-93b1@db:5432/app';
  const source = (n: number, running = true) => ({
    ...replica('api', n), Image: 'sha256:api1',
    State: { Running: running, Status: running ? 'running' : 'exited' },
    Config: { Labels: { 'stackyard.environment': 'test', 'stackyard.service': 'api', 'stackyard.replica': String(n) }, Env: ['PORT=8000', `DATABASE_URL=${CANARY}`], User: '1000', WorkingDir: '/app' },
    NetworkSettings: { Networks: { 'test-proxy': {}, 'test-default': {} } },
  });
  const oneOffName = () => docker.calls().find((c) => c[0] === 'create')![docker.calls().find((c) => c[0] === 'create')!.indexOf('--name') + 1];

  it('a one-off container: the replica\'s image, user, workdir and networks, its environment through a private env file (never on a command line), the secret files copied, the command\'s exit code, nothing left', async () => {
    docker.set({ containers: [source(2), source(1)] as never, files: { 'test-api-1:/run/secrets/DATABASE_URL': 'url!', 'test-api-1:/run/secrets/DB_PASSWORD': 'pw', 'test-api-1:/run/secrets/JWT_SECRET': 'jwt' }, exitCode: 7 });
    expect(await runExec(model(), 'api', ['python', 'manage.py', 'migrate'], {})).toBe(7);
    const name = oneOffName();
    expect(name).toMatch(/^test-api-run-[0-9a-f]{6}$/);
    const create = docker.calls().find((c) => c[0] === 'create')!;
    expect(create).toEqual(expect.arrayContaining(['--user', '1000', '--workdir', '/app', '--network', 'test-default', '--label', 'stackyard.exec=test']));
    expect(create.slice(-4)).toEqual(['sha256:api1', 'python', 'manage.py', 'migrate']);
    for (const c of docker.calls()) expect(c.join(' ')).not.toContain('canary-pw');
    const w = docker.world();
    expect(w.envFiles![name]).toEqual({ text: `PORT=8000\nDATABASE_URL=${CANARY}\n`, mode: 0o600 });
    expect(fs.existsSync(create[create.indexOf('--env-file') + 1]), 'the env file is removed').toBe(false);
    expect(w.connected).toEqual([['test-proxy', name]]);
    // DATABASE_URL and DB_PASSWORD (uses: [db]), JWT_SECRET, in that order
    expect(w.copied).toEqual([{ to: `${name}:/run/secrets`, bytes: 4 }, { to: `${name}:/run/secrets`, bytes: 2 }, { to: `${name}:/run/secrets`, bytes: 3 }]);
    expect(docker.calls().filter((c) => c[0] === 'start' || c[0] === 'rm')).toEqual([['start', '--attach', name], ['rm', '--force', '--volumes', name]]);
    expect(w.containers.map((c) => c.Name)).toEqual(['/test-api-2', '/test-api-1']);
  });

  it('an image without the secrets folder: the folder itself is copied; a file found nowhere stops the run, the container removed', async () => {
    docker.set({ containers: [source(1)] as never, files: { 'test-api-1:/run/secrets/DATABASE_URL': 'url!', 'test-api-1:/run/secrets': 'tar' }, missingDirs: ['/run/secrets'] });
    expect(await runExec(model(), 'api', ['true'], {})).toBe(0);
    expect(docker.world().copied).toEqual([{ to: `${oneOffName()}:/run`, bytes: 3 }]); // once for every file of the folder
    docker.set({ containers: [source(1)] as never, files: {}, missingDirs: ['/run/secrets'] });
    // the reason is the folder's copy's (the file's own failure led to it)
    await rejects(runExec(model(), 'api', ['true'], {}), /^could not copy \/run\/secrets\/DATABASE_URL from test-api-1 into the one-off container: Error response from daemon: Could not find the file \/run\/secrets in container test-api-1$/);
    expect(docker.world().containers.map((c) => c.Name)).toEqual(['/test-api-1']);
  });

  it('--reuse runs in the running replica (or the one asked for) with docker exec; none running: refused with what to do', async () => {
    docker.set({ containers: [source(1, false), source(2)] as never, exitCode: 3 });
    expect(await runExec(model(), 'api', ['ls'], { reuse: true })).toBe(3);
    expect(docker.calls().at(-1)).toEqual(['exec', 'test-api-2', 'ls']);
    expect(await runExec(model(), 'api', ['sh'], { reuse: true, interactive: true, tty: true, replica: 2 })).toBe(3);
    expect(docker.calls().at(-1)).toEqual(['exec', '--interactive', '--tty', 'test-api-2', 'sh']);
    await rejects(runExec(model(), 'api', ['ls'], { reuse: true, replica: 1 }), 'no running replica 1 of api on main; run without --reuse for a one-off container, or deploy test');
    expect(docker.calls().some((c) => c[0] === 'create')).toBe(false);
  });

  it('the env file is gone before the command starts (an interactive shell may run for hours); a replica without environment gives an empty one', async () => {
    const bare = { ...source(1), Config: { ...source(1).Config, Env: undefined } };
    docker.set({ containers: [bare] as never, files: { 'test-api-1:/run/secrets/DATABASE_URL': 'u', 'test-api-1:/run/secrets/DB_PASSWORD': 'p', 'test-api-1:/run/secrets/JWT_SECRET': 'j' } });
    expect(await runExec(model(), 'api', ['env'], {})).toBe(0);
    expect(docker.world().envFiles![oneOffName()].text).toBe('');
    expect(docker.world().envFileAtStart).toBe(false);
  });

  it('a replica whose environment docker\'s env file cannot carry: refused before anything is created, and the private folder made for the env file is gone', async () => {
    const multiline = { ...source(1), Config: { ...source(1).Config, Env: ['PORT=8000', 'CERT=-----BEGIN-----\nabc'] } };
    docker.set({ containers: [multiline] as never });
    const ours = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('stackyard-exec-')).sort();
    const before = ours();
    await rejects(runExec(model(), 'api', ['ls'], {}), 'the environment variable CERT holds a line break, which docker\'s env file cannot carry; use --reuse');
    expect(ours()).toEqual(before);
    expect(docker.calls().some((c) => c[0] === 'create')).toBe(false);
  });

  it('a network the one-off container cannot join: refused naming it, the container removed', async () => {
    docker.set({ containers: [source(1)] as never, connectFails: 'Error response from daemon: network test-proxy not found' });
    await rejects(runExec(model(), 'api', ['ls'], {}), 'could not connect the one-off container to test-proxy: Error response from daemon: network test-proxy not found');
    expect(docker.calls().filter((c) => c[0] === 'start')).toEqual([]);
    expect(docker.calls().at(-1)).toEqual(['rm', '--force', '--volumes', oneOffName()]);
  });

  it('--reuse: --tty only with --interactive; docker killed by a signal (Ctrl-C) is exit 130', async () => {
    docker.set({ containers: [source(1)] as never });
    expect(await runExec(model(), 'api', ['ls'], { reuse: true, tty: true })).toBe(0);
    expect(docker.calls().at(-1)).toEqual(['exec', 'test-api-1', 'ls']);
    docker.set({ containers: [source(1)] as never, killedBy: 'SIGTERM' });
    expect(await runExec(model(), 'api', ['sleep', '1000'], { reuse: true })).toBe(130);
  });

  it('leftovers: the names of one-off containers still on the host, none as an empty list', async () => {
    const { leftovers } = await import('../lib/ops/exec');
    const { withHosts } = await import('../lib/ops/docker');
    const host = model().hosts.get('main')!;
    docker.set({ containers: [] });
    expect(await withHosts([host], (c) => leftovers(c.get('main')!, 'test'))).toEqual([]);
    docker.set({ containers: [{ Id: 'r', Name: '/test-api-run-abc', Config: { Labels: { 'stackyard.exec': 'test' } } }] });
    expect(await withHosts([host], (c) => leftovers(c.get('main')!, 'test'))).toEqual(['test-api-run-abc']);
  });

  it('nothing deployed, a create the host refuses, a host that does not answer, no command: each refused with what to do, nothing left', async () => {
    docker.set({ containers: [] });
    await rejects(runExec(model(), 'api', ['ls'], {}), 'no container of api on main to take its settings and files from; deploy test first');
    docker.set({ containers: [source(1)] as never, runFails: 'Error response from daemon: No such image: sha256:api1' });
    await rejects(runExec(model(), 'api', ['ls'], {}), 'could not create the one-off container on main: Error response from daemon: No such image: sha256:api1');
    expect(docker.calls().some((c) => c[0] === 'rm')).toBe(false);
    docker.set({ down: true });
    await rejects(runExec(model(), 'api', ['ls'], {}), /^host main \(unix:\/\/\S+\) did not answer: Cannot connect/);
    await rejects(runExec(model(), 'api', [], {}), /^no command given; put it after --/, 2);
  });
});
