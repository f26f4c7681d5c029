/**
 * The target-neutral Service model: image references, defaults, how secrets and files are
 * attached (file delivery with a _FILE variable, sensitivity of templated files), published
 * ports per replica, the strongest dependency condition, and deterministic ordering.
 */
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { imageName, isLoopback, modeForReader, parseImage, secretPath, secretsIn, Service, uniquePublished, type ServiceProps } from '../lib/service';
import { synth } from './helpers';

const root = () => new Construct(undefined as any, 'root');
const svc = (id: string, props: Partial<ServiceProps> = {}, scope = root()) =>
  new Service(scope, id, { host: 'main', image: { repository: 'x/app', tag: '1' }, kind: 'web', ...props });

describe('image references', () => {
  it('imageName joins repository and tag, and leaves an untagged image bare', () => {
    expect(imageName({ repository: 'ghcr.io/acme/api', tag: 'sha-1' })).toBe('ghcr.io/acme/api:sha-1');
    expect(imageName({ repository: 'ghcr.io/acme/api' })).toBe('ghcr.io/acme/api');
    expect(imageName({ repository: 'ghcr.io/acme/api', tag: '' })).toBe('ghcr.io/acme/api');
  });

  it('parseImage splits repo:tag, but not a registry port, and an explicit tag wins', () => {
    expect(parseImage('postgres:17')).toEqual({ repository: 'postgres', tag: '17' });
    expect(parseImage('redis')).toEqual({ repository: 'redis', tag: undefined });
    expect(parseImage('registry.local:5000/team/app')).toEqual({ repository: 'registry.local:5000/team/app', tag: undefined });
    expect(parseImage('registry.local:5000/team/app:2.1')).toEqual({ repository: 'registry.local:5000/team/app', tag: '2.1' });
    expect(parseImage('postgres', '16')).toEqual({ repository: 'postgres', tag: '16' });
    expect(parseImage('a/b:1', '2')).toEqual({ repository: 'a/b:1', tag: '2' });
  });
});

describe('Service defaults', () => {
  it('one replica, not a singleton, stateless, unprivileged, no labels; named after its id', () => {
    const s = svc('api');
    expect({ name: s.serviceName, replicas: s.replicas, singleton: s.singleton, stateful: s.stateful, privileged: s.privileged, labels: s.labels })
      .toEqual({ name: 'api', replicas: 1, singleton: false, stateful: false, privileged: false, labels: {} });
    expect([s.oneShot, s.healthcheck, s.cpus, s.memoryMb, s.schedule, s.perReplica, s.command, s.entrypoint]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('takes what it is given', () => {
    const hc = { test: ['CMD', 'true'], intervalSeconds: 1, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 4 };
    const s = svc('x', { name: 'named', replicas: 3, singleton: true, stateful: true, privileged: true, labels: { a: 'b' }, cpus: 1.5, memoryMb: 256, healthcheck: hc, command: ['run'], entrypoint: ['sh'], oneShot: { timeoutSeconds: 9 } });
    expect({ name: s.serviceName, replicas: s.replicas, singleton: s.singleton, stateful: s.stateful, privileged: s.privileged, labels: s.labels, cpus: s.cpus, memoryMb: s.memoryMb, hc: s.healthcheck, command: s.command, entrypoint: s.entrypoint, oneShot: s.oneShot })
      .toEqual({ name: 'named', replicas: 3, singleton: true, stateful: true, privileged: true, labels: { a: 'b' }, cpus: 1.5, memoryMb: 256, hc, command: ['run'], entrypoint: ['sh'], oneShot: { timeoutSeconds: 9 } });
  });

  it('without an origin, errors point at the construct path', () => {
    expect(svc('api').origin.locate('ports')).toEqual({ file: 'construct root/api', line: 0, col: 0, path: 'ports' });
    expect(svc('api').origin.locate()).toEqual({ file: 'construct root/api', line: 0, col: 0, path: '' });
  });
});

describe('secrets and files', () => {
  it('a secret is a 0400 file under /run/secrets with a _FILE variable by default', () => {
    const s = svc('api').addSecret('JWT_SECRET');
    expect(s.secrets).toEqual([{ name: 'JWT_SECRET', as: 'file', mode: '0400' }]);
    expect([...s.env]).toEqual([['JWT_SECRET_FILE', '/run/secrets/JWT_SECRET']]);
    expect(secretPath('JWT_SECRET')).toBe('/run/secrets/JWT_SECRET');
  });

  it('a secret asked for as env gets no file variable; a mode is kept', () => {
    const s = svc('api').addSecret('API_TOKEN', { as: 'env' }).addSecret('DB_PASSWORD', { mode: '0440' });
    expect(s.secrets).toEqual([{ name: 'API_TOKEN', as: 'env', mode: '0400' }, { name: 'DB_PASSWORD', as: 'file', mode: '0440' }]);
    expect([...s.env.keys()]).toEqual(['DB_PASSWORD_FILE']);
  });

  it('a secret asked for as env and also wired as a file (uses: the database) is delivered both ways, in name order', () => {
    const s = svc('api').addSecret('DB_PASSWORD', { as: 'env' }).addSecret('API_TOKEN').addSecret('DB_PASSWORD').addSecret('DB_PASSWORD');
    expect(s.secrets).toEqual([
      { name: 'API_TOKEN', as: 'file', mode: '0400' }, { name: 'DB_PASSWORD', as: 'env', mode: '0400' }, { name: 'DB_PASSWORD', as: 'file', mode: '0400' },
    ]);
    const env = synth({ 'env.yaml': `name: t
hosts: { h: { docker: "unix:///var/run/docker.sock" } }
secrets: [DB_PASSWORD]
services:
  db: { kind: postgres, version: "17", password: DB_PASSWORD }
  api: { kind: service, image: app, tag: "1", uses: [db], secrets: [{ name: DB_PASSWORD, as: env }] }
` }).t;
    const api = env.resource.docker_container.svc_api_1;
    expect(api.env).toContain('DB_PASSWORD=${var.DB_PASSWORD}');
    expect(api.env).toContain('DB_PASSWORD_FILE=/run/secrets/DB_PASSWORD');
    expect(api.upload.map((u: { file: string }) => u.file)).toContain('/run/secrets/DB_PASSWORD');
  });

  it('a file embedding a secret is sensitive; plain and generated files are not', () => {
    const s = svc('api')
      .addFile({ path: '/etc/url', content: ['postgres://u:', { secret: 'DB_PASSWORD', encode: 'url' }, '@db/app'] })
      .addFile({ path: '/etc/plain', content: ['hello'], mode: '0444' })
      .addFile({ path: '/etc/generated', content: () => 'scrape: []' });
    expect(s.files.map((f) => [f.path, f.sensitive, f.mode])).toEqual([['/etc/generated', false, '0400'], ['/etc/plain', false, '0444'], ['/etc/url', true, '0400']]);
    expect(s.files.map(secretsIn)).toEqual([[], [], ['DB_PASSWORD']]);
  });

  it('secretsIn lists every secret a file embeds, in order', () => {
    const s = svc('api').addFile({ path: '/f', content: [{ secret: 'A' }, ':', { secret: 'B' }] });
    expect(secretsIn(s.files[0])).toEqual(['A', 'B']);
  });
});

describe('ports, routes, volumes, dependencies', () => {
  it('published ports of every replica, per-replica ones included, unpublished left out', () => {
    const s = svc('pool', { replicas: 2, perReplica: (i) => ({ ports: [{ name: 'own', container: 9000, publish: 9000 + i }, { name: 'inner', container: 7000 }] }) })
      .addPort('http', 80, 8080).addPort('metrics', 9100);
    expect(s.publishedPorts().map(({ replica, port }) => [replica, port.name, port.publish])).toEqual([[1, 'http', 8080], [1, 'own', 9001], [2, 'http', 8080], [2, 'own', 9002]]);
    expect(s.port('metrics')).toEqual({ name: 'metrics', container: 9100, publish: undefined });
    expect(s.port('nope')).toBeUndefined();
    expect(svc('none').addPort('http', 80).publishedPorts()).toEqual([]);
  });

  it('a replica\'s named port: its own when it has one by that name, else the service\'s', () => {
    const s = svc('w', { replicas: 2, perReplica: (i) => ({ ports: [{ name: 'metrics', container: 9000 + i, publish: 9100 + i }] }) }).addPort('http', 80);
    expect(s.replicaPort(2, 'metrics')).toMatchObject({ container: 9002, publish: 9102 });
    expect(s.replicaPort(2, 'http')).toMatchObject({ name: 'http', container: 80 });
    expect(s.replicaPort(1, 'none')).toBeUndefined();
    // per-replica settings without ports
    const e = svc('e', { perReplica: () => ({ env: { A: '1' } }) }).addPort('http', 80);
    expect(e.replicaPort(1, 'http')).toMatchObject({ container: 80 });
    expect(e.hasPort('http')).toBe(true);
    expect(e.hasPort('metrics')).toBe(false);
    expect(e.publishedPorts()).toEqual([]);
  });

  it('one host mapping per bind, host port and container port; no bind is the loopback one', () => {
    const p = (name: string, bind?: string) => ({ name, container: 80, publish: 8080, ...(bind ? { bind } : {}) });
    expect(uniquePublished([p('a'), p('b', '127.0.0.1'), p('c', '0.0.0.0'), { name: 'd', container: 80 }]).map((x) => x.name)).toEqual(['a', 'c']);
    expect(uniquePublished([p('a', '0.0.0.0'), p('b')]).map((x) => x.name)).toEqual(['a', 'b']);
  });

  it('loopback: 127.<digits>.<digits>.<digits> (127.0.0.0/8; octets are not range-checked), ::1 and localhost in any case; nothing else', () => {
    for (const a of ['127.0.0.1', '127.10.200.33', '::1', 'localhost', 'LocalHost']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['10.0.0.1', '127.0.0', '127.0.0.1.5', 'x127.0.0.1', '::2', '0.0.0.0', '', 'localhost.example']) expect(isLoopback(a), a).toBe(false);
  });

  it('a non-root reader gets the owner\'s read bit for the group too; three octal digits always', () => {
    expect(modeForReader('0400', { uid: 472, gid: 0 })).toBe('0440');
    expect(modeForReader('0004', { uid: 472, gid: 0 })).toBe('0004');
    expect(modeForReader('0644', { uid: 472, gid: 0 })).toBe('0644');
    expect(modeForReader('0400', { uid: 0, gid: 0 })).toBe('0400');
  });

  it('keeps the strongest dependency condition on the same service, whatever the order', () => {
    const scope = root();
    const db = svc('db', {}, scope);
    const job = svc('job', {}, scope);
    const a = svc('a', {}, scope).dependOn(db, 'started').dependOn(db, 'healthy').dependOn(db, 'started');
    const b = svc('b', {}, scope).dependOn(job, 'healthy').dependOn(job, 'completed').dependOn(job, 'healthy');
    const c = svc('c', {}, scope).dependOn(db, 'started').dependOn(db, 'started');
    expect(a.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['db', 'healthy']]);
    expect(b.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['job', 'completed']]);
    expect(c.dependencies.map((d) => [d.service.serviceName, d.condition])).toEqual([['db', 'started']]);
  });

  it('lists are sorted by name (routes keep their order), so output does not depend on call order', () => {
    const scope = root();
    const [z, y] = [svc('z', {}, scope), svc('y', {}, scope)];
    const s = svc('api', {}, scope)
      .addEnv('B', '2').addEnv('A', '1').addEnv('C', '3')
      .addSecret('Z_KEY').addSecret('A_KEY')
      .addPort('web', 80).addPort('admin', 81)
      .addVolume('logs', '/logs').addVolume('data', '/data')
      .addBindMount('/host/b', '/b').addBindMount('/host/a', '/a', false)
      .addNfsMount('shared', '/mnt/s').addNfsMount('backups', '/mnt/b')
      .addRoute({ rule: 'Host(`b`)', port: 80 }).addRoute({ rule: 'Host(`a`)', port: 80 })
      .dependOn(z, 'started').dependOn(y, 'started');
    expect([...s.env.keys()]).toEqual(['A', 'A_KEY_FILE', 'B', 'C', 'Z_KEY_FILE']);
    expect(s.secrets.map((x) => x.name)).toEqual(['A_KEY', 'Z_KEY']);
    expect(s.ports.map((x) => x.name)).toEqual(['admin', 'web']);
    expect(s.volumes).toEqual([{ name: 'data', path: '/data' }, { name: 'logs', path: '/logs' }]);
    expect(s.bindMounts).toEqual([{ hostPath: '/host/a', path: '/a', readOnly: false }, { hostPath: '/host/b', path: '/b', readOnly: true }]);
    expect(s.nfsMounts).toEqual([{ volume: 'backups', path: '/mnt/b' }, { volume: 'shared', path: '/mnt/s' }]);
    expect(s.routes.map((r) => r.rule)).toEqual(['Host(`b`)', 'Host(`a`)']);
    expect(s.dependencies.map((d) => d.service.serviceName)).toEqual(['y', 'z']);
  });

  it('a later value for the same key replaces the earlier one', () => {
    const s = svc('api').addEnv('A', '1').addEnv('A', '2').addPort('web', 80).addPort('web', 81, 8081);
    expect([...s.env]).toEqual([['A', '2']]);
    expect(s.ports).toEqual([{ name: 'web', container: 81, bind: '127.0.0.1', publish: 8081 }]);
  });

  it('returned lists are copies: changing them does not change the service', () => {
    const s = svc('api').addRoute({ rule: 'Host(`a`)', port: 80 }).addBindMount('/h', '/c');
    (s.routes as any[]).push({ rule: 'x', port: 1 });
    (s.bindMounts as any[]).push({ hostPath: 'x', path: 'y', readOnly: true });
    expect(s.routes).toHaveLength(1);
    expect(s.bindMounts).toHaveLength(1);
  });
});
