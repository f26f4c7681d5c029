/**
 * The read-only plan identity's host-side pieces: the generated authorized_keys line and the
 * forced-command proxy, run for real (perl) against a fake Docker socket.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSshUrl } from '../lib/config/sections';
import { authorizedKeysLine, knownHosts, planKeySecret, planSshConfig, readOnlyDockerProxy, sshTarget } from '../lib/github/plan-identity';
import { tempDir } from './helpers';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMGAQURrC6S0z8RUXYlv06KKePB9O92yBCC1Hazfu8QK';

describe('authorized_keys line', () => {
  it('forces the proxy and forbids everything else', () => {
    expect(authorizedKeysLine(`${KEY} me@laptop`, { comment: 'stackyard-plan production/core' }))
      .toBe(`restrict,command="/usr/local/libexec/stackyard-docker-readonly" ${KEY} stackyard-plan-production-core`);
  });
  it('refuses what is not one public key, and a proxy path that could break out of the quotes', () => {
    expect(() => authorizedKeysLine('-----BEGIN OPENSSH PRIVATE KEY-----', { comment: 'x' })).toThrow(/public key/);
    expect(() => authorizedKeysLine(`${KEY}\nssh-ed25519 AAAA`, { comment: 'x' })).toThrow(/public key/);
    expect(() => authorizedKeysLine(KEY, { comment: 'x', command: '/x" ssh-rsa' })).toThrow(/proxy path/);
  });
});

describe('SSH settings', () => {
  const hosts = [{ name: 'core', docker: 'ssh://deploy@core.example.com:22', hostKey: KEY }, { name: 'b-2', docker: 'ssh://b.example.com:2222', hostKey: KEY }, { name: 'l', docker: 'unix:///var/run/docker.sock' }];
  it('known_hosts only from the pinned keys, with the port when it is not 22', () => {
    expect(knownHosts(hosts)).toBe(`core.example.com ${KEY}\n[b.example.com]:2222 ${KEY}\n`);
    expect(() => knownHosts([{ name: 'x', docker: 'ssh://x' }])).toThrow(/hostKey/);
    expect(knownHosts([{ name: 'x', docker: 'ssh://x:22', hostKey: KEY }, { name: 'y', docker: 'ssh://[fd00::2]:2200', hostKey: KEY }])).toBe(`x ${KEY}\n[fd00::2]:2200 ${KEY}\n`);
  });
  it('one plan key per host, strict host key checking, no forwarding', () => {
    const cfg = planSshConfig(hosts, (h) => `/k/${h}`, '/k/known_hosts');
    expect(cfg).toContain('Host core.example.com\n  User deploy\n  Port 22\n  IdentityFile /k/core\n  IdentitiesOnly yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile /k/known_hosts');
    expect(cfg).toContain('Host b.example.com\n  Port 2222\n  IdentityFile /k/b-2');
    expect(planKeySecret('b-2')).toBe('STACKYARD_PLAN_SSH_KEY_B_2');
    expect(sshTarget('ssh://deploy@[::1]:2200')).toEqual({ user: 'deploy', host: '::1', port: 2200 });
  });
});

describe('the plan identity\'s settings, exactly', () => {
  it('authorized_keys: each key type, the key\'s own comment dropped, ours cleaned and cut at 100, a proxy path of our choosing', () => {
    const b64 = 'A'.repeat(32);
    for (const type of ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'sk-ssh-ed25519@openssh.com']) {
      expect(authorizedKeysLine(`  ${type} ${b64}== old-comment\n`, { comment: 'c', command: '/opt/p-1/x.pl' })).toBe(`restrict,command="/opt/p-1/x.pl" ${type} ${b64}== c`);
    }
    expect(authorizedKeysLine(`ssh-ed25519 ${b64}`, { comment: `a b/c"d${'x'.repeat(200)}` })).toBe(`restrict,command="/usr/local/libexec/stackyard-docker-readonly" ssh-ed25519 ${b64} a-b-c-d${'x'.repeat(93)}`);
    for (const bad of [`ssh-dss ${b64}`, `ssh-ed25519 ${'A'.repeat(31)}`, `ssh-ed25519 ${'A'.repeat(2049)}`, `ssh-ed25519 ${b64}====`, `ssh-ed25519 ${b64} ${'c'.repeat(101)}`, `ssh-ed25519 ${b64} a b\tc`, `x ssh-ed25519 ${b64}`, `ssh-ed25519  ${b64}`]) {
      expect(() => authorizedKeysLine(bad, { comment: 'x' }), bad).toThrow('expected one OpenSSH public key line, e.g. "ssh-ed25519 AAAAC3Nz... comment"');
    }
    expect(authorizedKeysLine(`ssh-ed25519 ${'A'.repeat(2048)} ${'c'.repeat(100)}`, { comment: 'x' })).toMatch(/ x$/);
    for (const command of ['relative/p', '/a b', '/x"', '']) expect(() => authorizedKeysLine(KEY, { comment: 'x', command })).toThrow(`the proxy path must be an absolute path of letters, digits and . _ - /, got ${JSON.stringify(command)}`);
  });

  it('ssh targets: user optional, no port unless given (ssh\'s 22), IPv6 in brackets; anything else is refused', () => {
    expect(parseSshUrl('ssh://h.example')).toEqual({ user: undefined, host: 'h.example', port: undefined });
    expect(parseSshUrl('ssh://h.example:22')).toEqual({ user: undefined, host: 'h.example', port: 22 });
    expect(parseSshUrl('ssh://[fd00::2]')).toEqual({ user: undefined, host: 'fd00::2', port: undefined });
    expect(parseSshUrl('ssh://u@10.0.0.1:2022')).toEqual({ user: 'u', host: '10.0.0.1', port: 2022 });
    for (const bad of ['tcp://h', 'ssh://', 'ssh://h:', 'ssh://h:x', ' ssh://h', 'ssh://h:22 ']) expect(() => parseSshUrl(bad), bad).toThrow(`not an ssh:// Docker URL: ${bad}`);
    // the workflows' reading: ssh's 22 when none is named
    expect(sshTarget('ssh://h.example')).toEqual({ user: undefined, host: 'h.example', port: 22 });
    expect(() => sshTarget('tcp://h')).toThrow('not an ssh:// Docker URL: tcp://h');
  });

  it('known_hosts: one line per distinct host, nothing at all without ssh hosts; a key that is not a pinned key is refused', () => {
    const a = { name: 'a', docker: 'ssh://u@a.example', hostKey: KEY };
    expect(knownHosts([a, { ...a, name: 'a2' }, { name: 'v6', docker: 'ssh://[fd00::2]:2200', hostKey: KEY }])).toBe(`a.example ${KEY}\n[fd00::2]:2200 ${KEY}\n`);
    expect(knownHosts([{ name: 'l', docker: 'unix:///var/run/docker.sock' }])).toBe('');
    expect(knownHosts([])).toBe('');
    expect(() => knownHosts([{ ...a, hostKey: 'not a key' }])).toThrow('host a has no valid pinned hostKey');
  });

  it('ssh_config: each ssh host in full, with a blank line between; none for other hosts', () => {
    const cfg = planSshConfig([{ name: 'a', docker: 'ssh://u@a.example' }, { name: 'l', docker: 'unix:///x' }, { name: 'b', docker: 'ssh://b.example:2222' }], (h) => `/k/${h}.key`, '/k/kh');
    const block = (host: string, user: string[], port: number, key: string) => [`Host ${host}`, ...user, `  Port ${port}`, `  IdentityFile ${key}`, '  IdentitiesOnly yes', '  StrictHostKeyChecking yes', '  UserKnownHostsFile /k/kh', '  ForwardAgent no', '  ClearAllForwardings yes', ''].join('\n');
    expect(cfg).toBe(`${block('a.example', ['  User u'], 22, '/k/a.key')}\n${block('b.example', [], 2222, '/k/b.key')}`);
    expect(planSshConfig([{ name: 'l', docker: 'unix:///x' }], () => '/k', '/kh')).toBe('');
  });

  it('the GitHub secret of a host\'s plan key: upper case, anything but letters and digits as _', () => {
    expect(planKeySecret('db.eu-1_x')).toBe('STACKYARD_PLAN_SSH_KEY_DB_EU_1_X');
  });

  it('the proxy is generated for the socket given, which must be a plain absolute path', () => {
    expect(readOnlyDockerProxy()).toContain("my $SOCKET = '/var/run/docker.sock';");
    expect(readOnlyDockerProxy({ socket: '/run/user/1000/docker.sock' })).toContain("my $SOCKET = '/run/user/1000/docker.sock';");
    for (const socket of ["/x'; system('id'); '", "'; system('id'); '/docker.sock", 'docker.sock', '/a b']) expect(() => readOnlyDockerProxy({ socket })).toThrow(`bad socket path ${JSON.stringify(socket)}`);
  });
});

describe('read-only Docker proxy (forced command)', () => {
  const dir = tempDir();
  const socket = path.join(dir, 'docker.sock');
  const script = path.join(dir, 'proxy.pl');
  const seen: string[] = [];
  let server: http.Server;
  beforeAll(async () => {
    fs.writeFileSync(script, readOnlyDockerProxy({ socket }), { mode: 0o755 });
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: req.url, connection: req.headers.connection }));
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  afterAll(() => server.close());

  /** Sends raw bytes as the SSH client would, returns what the proxy wrote back. */
  const send = (raw: string) => new Promise<string>((resolve, reject) => {
    const p = spawn('perl', [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => resolve(out));
    p.stdin.write(raw);
    // like the docker client, keep stdin open: the proxy must answer and exit on its own
    setTimeout(() => p.stdin.end(), 1500);
  });
  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: docker\r\nUser-Agent: t\r\n${extra}\r\n`;

  it('forwards reads: ping, inspect, lists, versioned paths, with Connection: close', async () => {
    for (const target of ['/_ping', '/v1.47/containers/prod-db-1/json', '/containers/json?all=1', '/v1.47/images/ghcr.io/acme/backend:sha-1/json', '/networks/prod_private', '/volumes/prod_db_data', '/version']) {
      const before = seen.length;
      const res = await send(get(target));
      expect(res, target).toMatch(/^HTTP\/1\.1 200 /);
      expect(res).toContain('"connection":"close"');
      expect(seen.slice(before)).toEqual([`GET ${target}`]);
    }
  });

  it('refuses writes, dangerous reads, smuggling and upgrades without touching the socket', async () => {
    const refused = [
      'POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 2\r\n\r\n{}',
      'DELETE /containers/prod-db-1?force=1 HTTP/1.1\r\nHost: d\r\n\r\n',
      'POST /v1.47/containers/prod-db-1/exec HTTP/1.1\r\nHost: d\r\n\r\n',
      get('/containers/prod-db-1/archive?path=/run/secrets/DB_PASSWORD'),
      get('/containers/prod-db-1/export'),
      get('/containers/prod-db-1/logs?stdout=1'),
      get('/containers/prod-db-1/attach/ws?stdin=1'),
      get('/images/get?names=x'),
      get('/containers/x/../../containers/prod-db-1/export/json'),
      get('/containers/prod%2Fdb/json'),
      get('/containers/prod-db-1/json', 'Upgrade: tcp\r\nConnection: Upgrade\r\n'),
      get('/containers/prod-db-1/json', 'Transfer-Encoding: chunked\r\n'),
      get('/_ping', 'X: a\nPOST /containers/create HTTP/1.1\r\n'),
      `${get('/_ping')}POST /containers/create HTTP/1.1\r\nHost: d\r\n\r\n`,
    ];
    const before = seen.length;
    for (const raw of refused) {
      const res = await send(raw);
      expect(res, JSON.stringify(raw)).toMatch(/^HTTP\/1\.1 (400|403) /);
      expect(res).toContain('stackyard plan identity (read-only)');
    }
    expect(seen.slice(before)).toEqual([]);
  });
});
