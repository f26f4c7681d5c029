/**
 * How the deploy's own docker commands (lock and record, orphan reaping, volumes, pruning) reach a
 * host: as the provider does, with the stack's ssh options, through the real docker CLI's ssh://
 * transport and the day-2 commands' ssh wrapper. A recording `ssh` stands in for the network.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEnv, dockerSync, forgetHosts } from '../lib/deploy/host-docker';
import { HostError, readLock } from '../lib/deploy/host-store';
import { dockerHosts } from '../lib/deploy/stack-json';
import { DeployStop, readStack, reap } from '../lib/deploy/steps';
import { shellWord } from '../lib/ops/docker';

const stack = {
  '//': { stackyard: { environment: 'fleet', production: false, stateBackend: 'local' as const, github: false } },
  provider: {
    docker: [
      { alias: 'core', host: 'ssh://root@10.231.0.2', ssh_opts: ['-F', '/var/tmp/fleet/ssh/config'] },
      { alias: 'local', host: 'unix:///var/run/docker.sock' },
    ],
  },
};

const dirs: string[] = [];
const savedPath = process.env.PATH;
afterEach(() => {
  forgetHosts();
  process.env.PATH = savedPath;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A stack folder, and an `ssh` first on PATH that records its arguments (one call a line) and fails the connection. */
function setup(): { dir: string; calls: () => string[][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-hosts-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify(stack));
  const log = path.join(dir, 'ssh-calls');
  fs.writeFileSync(path.join(dir, 'ssh'), `#!/bin/sh\nprintf '%s\\037' "$@" >> ${shellWord(log)}\necho >> ${shellWord(log)}\necho 'Host key verification failed.' >&2\nexit 255\n`, { mode: 0o755 });
  process.env.PATH = `${dir}:${savedPath}`;
  const calls = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('\x1f').filter(Boolean)) : []);
  return { dir, calls };
}

describe('docker commands of the deploy', () => {
  it('reads each host with its ssh options from the stack', () => {
    expect(dockerHosts(stack)).toEqual([
      { alias: 'core', host: 'ssh://root@10.231.0.2', sshOpts: ['-F', '/var/tmp/fleet/ssh/config'] },
      { alias: 'local', host: 'unix:///var/run/docker.sock', sshOpts: [] },
    ]);
  });

  it('the deploy lock on an ssh:// host goes through ssh with the stack\'s options (BatchMode first)', () => {
    const { dir, calls } = setup();
    readStack(dir);
    expect(() => readLock('ssh://root@10.231.0.2', 'fleet')).toThrow(HostError);
    const [call] = calls();
    expect(call.slice(0, 4)).toEqual(['-o', 'BatchMode=yes', '-F', '/var/tmp/fleet/ssh/config']);
    expect(call.join(' ')).toContain('-l root -- 10.231.0.2 docker system dial-stdio');
  });

  it('the orphan reaper too, and a host that refuses stops the deploy naming it', () => {
    const { dir, calls } = setup();
    let stopped: unknown;
    try {
      reap(dir, '', false);
    } catch (e) {
      stopped = e;
    }
    expect(stopped).toBeInstanceOf(DeployStop);
    expect((stopped as Error).message).toMatch(/core/);
    expect(calls()[0].slice(0, 4)).toEqual(['-o', 'BatchMode=yes', '-F', '/var/tmp/fleet/ssh/config']);
  });

  it('a unix host, or one no stack named: DOCKER_HOST alone, no wrapper', () => {
    const { dir } = setup();
    readStack(dir);
    expect(dockerEnv('unix:///var/run/docker.sock')).toMatchObject({ DOCKER_HOST: 'unix:///var/run/docker.sock', PATH: `${dir}:${savedPath}` });
    expect(dockerEnv('ssh://deploy@elsewhere')).toMatchObject({ DOCKER_HOST: 'ssh://deploy@elsewhere', PATH: `${dir}:${savedPath}` });
    expect(dockerEnv('ssh://root@10.231.0.2').PATH).not.toBe(`${dir}:${savedPath}`);
  });

  it('removes its wrappers when it forgets the hosts', () => {
    const { dir } = setup();
    readStack(dir);
    const wrapperDir = dockerEnv('ssh://root@10.231.0.2').PATH!.split(':')[0];
    expect(fs.existsSync(path.join(wrapperDir, 'ssh'))).toBe(true);
    forgetHosts();
    expect(fs.existsSync(wrapperDir)).toBe(false);
  });

  it('a host already known keeps its connection (one wrapper per host and process); one exit handler for all of them, gone when forgotten', () => {
    const { dir } = setup();
    const before = process.listenerCount('exit');
    readStack(dir);
    const wrapper = dockerEnv('ssh://root@10.231.0.2').PATH!.split(':')[0];
    readStack(dir); // the same hosts again, as every command of a deploy does
    expect(dockerEnv('ssh://root@10.231.0.2').PATH!.split(':')[0]).toBe(wrapper);
    expect(process.listenerCount('exit')).toBe(before + 1);
    forgetHosts();
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('docker output of many megabytes comes back whole (a deploy record read with docker cp)', () => {
    const { dir } = setup();
    fs.writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\nhead -c 3000000 /dev/zero\n', { mode: 0o755 });
    const r = dockerSync('unix:///var/run/docker.sock', ['cp', 'x:/records/deploys.jsonl', '-']);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(3_000_000);
  });
});
