/**
 * What the Docker renderer (lib/docker/render.ts) writes for a model built in code, where no
 * environment's snapshot pins it: stable order where the model's own order would leak through
 * (providers, environment entries, volumes, secret triggers), the provider's connection options
 * by transport, the Traefik labels of a second route, and a model that was never validated.
 */
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { environmentStack } from '../lib/app';
import { ConfigError } from '../lib/config/errors';
import { Environment } from '../lib/environment';
import { Service, type ServiceProps } from '../lib/service';
import { dockerStack } from './constructs/harness';

const svc = (env: Environment, id: string, props: Partial<ServiceProps> = {}) =>
  new Service(env, id, { host: 'main', image: { repository: `x/${id}`, tag: '1' }, kind: 'service', ...props });

describe('the Docker renderer', () => {
  it('refuses a model built in code and never validated that places a service on an undeclared host, with the model rules\' message', () => {
    const env = new Environment({ name: 'unit', hosts: [{ name: 'main', docker: 'ssh://deploy@main.example.com', address: '10.0.0.1', sshOptions: [] }] });
    svc(env, 'a', { host: 'nowhere' });
    let thrown: unknown;
    try {
      Testing.synth(environmentStack(Testing.app(), env));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toContain('unknown host "nowhere"; declared hosts: main');
  });

  it('writes one provider per used host, in host-name order whatever order the services came in', () => {
    const { json } = dockerStack((s) => {
      svc(s, 'late', { host: 'zeta' });
      svc(s, 'early', { host: 'alpha' });
    }, { hosts: ['zeta', 'unused', 'alpha'] });
    expect(json.provider.docker.map((p: { alias: string }) => p.alias)).toEqual(['alpha', 'zeta']);
  });

  it('sorts environment entries by name, secrets given as variables among the plain ones', () => {
    const { containers } = dockerStack((s) => svc(s, 'a').addEnv('ZED', '1').addEnv('ALPHA', '2').addSecret('DB_PASSWORD', { as: 'env' }));
    expect(containers.svc_a_1.env).toEqual(['ALPHA=2', 'DB_PASSWORD=${var.DB_PASSWORD}', 'ZED=1']);
  });

  it('mounts volumes and bind mounts in container-path order', () => {
    const { containers } = dockerStack((s) => svc(s, 'a').addVolume('data', '/z/data').addBindMount('/srv/conf', '/a/conf'));
    expect(containers.svc_a_1.volumes.map((v: { container_path: string }) => v.container_path)).toEqual(['/a/conf', '/z/data']);
  });

  it('lists the secret versions a container is replaced by in name order, those its files need among its own', () => {
    const { containers } = dockerStack((s) => svc(s, 'a').addSecret('JWT_SECRET').addFile({ path: '/etc/a/url', content: ['postgres://u:', { secret: 'DB_PASSWORD' }, '@db/a'] }));
    expect(containers.svc_a_1.lifecycle.replace_triggered_by).toEqual(['terraform_data.secret_version_DB_PASSWORD', 'terraform_data.secret_version_JWT_SECRET']);
  });

  it('gives ssh options to ssh:// hosts only, and a certificate folder to tcp:// hosts only', () => {
    const env = new Environment({
      name: 'unit',
      hosts: [
        { name: 'ssh', docker: 'ssh://deploy@a.example.com', address: '10.0.0.1', sshOptions: ['-o', 'StrictHostKeyChecking=yes'], tlsCertPath: '/etc/certs' },
        { name: 'sock', docker: 'unix:///var/run/docker.sock', address: '10.0.0.2', sshOptions: ['-o', 'StrictHostKeyChecking=yes'], tlsCertPath: '/etc/certs' },
        { name: 'tls', docker: 'tcp://b.example.com:2376', address: '10.0.0.3', sshOptions: [], tlsCertPath: '/etc/certs' },
      ],
    });
    for (const host of ['ssh', 'sock', 'tls']) svc(env, host, { host });
    const json = JSON.parse(Testing.synth(environmentStack(Testing.app(), env)));
    const byAlias = Object.fromEntries(json.provider.docker.map(({ alias, ...rest }: { alias: string }) => [alias, rest]));
    expect(byAlias).toEqual({
      sock: { host: 'unix:///var/run/docker.sock' },
      ssh: { host: 'ssh://deploy@a.example.com', ssh_opts: ['-o', 'StrictHostKeyChecking=yes'] },
      tls: { host: 'tcp://b.example.com:2376', cert_path: '/etc/certs' },
    });
  });

  it('names a second route\'s router after its position, joins its entrypoints, and adds TLS and a health check only when asked', () => {
    const { containers } = dockerStack((s) => {
      s.proxy = { service: svc(s, 'proxy', { kind: 'traefik' }), entrypoints: ['web', 'websecure'], certResolver: 'le' };
      svc(s, 'api').addPort('http', 8000).addRoute({ rule: 'Host(`a`)', port: 8000 }).addRoute({ rule: 'Host(`b`)', port: 9000, entrypoints: ['websecure'], healthPath: '/up' });
      svc(s, 'plain');
    });
    const labels = (name: string) => Object.fromEntries(containers[name].labels.map((l: { label: string; value: string }) => [l.label, l.value]));
    const api = labels('svc_api_1');
    const traefik = Object.fromEntries(Object.entries(api).filter(([k]) => k.startsWith('traefik.')));
    expect(traefik).toEqual({
      'traefik.enable': 'true',
      'traefik.docker.network': '${docker_network.network_proxy.name}',
      'traefik.http.routers.unit-api.rule': 'Host(`a`)',
      'traefik.http.routers.unit-api.entrypoints': 'web,websecure',
      'traefik.http.routers.unit-api.service': 'unit-api',
      'traefik.http.routers.unit-api.middlewares': 'unit-api-retry',
      'traefik.http.routers.unit-api.tls.certresolver': 'le',
      'traefik.http.middlewares.unit-api-retry.retry.attempts': expect.any(String),
      'traefik.http.middlewares.unit-api-retry.retry.initialinterval': expect.any(String),
      'traefik.http.services.unit-api.loadbalancer.server.port': '8000',
      'traefik.http.routers.unit-api-2.rule': 'Host(`b`)',
      'traefik.http.routers.unit-api-2.entrypoints': 'websecure',
      'traefik.http.routers.unit-api-2.service': 'unit-api-2',
      'traefik.http.routers.unit-api-2.middlewares': 'unit-api-2-retry',
      'traefik.http.routers.unit-api-2.tls.certresolver': 'le',
      'traefik.http.middlewares.unit-api-2-retry.retry.attempts': expect.any(String),
      'traefik.http.middlewares.unit-api-2-retry.retry.initialinterval': expect.any(String),
      'traefik.http.services.unit-api-2.loadbalancer.server.port': '9000',
      'traefik.http.services.unit-api-2.loadbalancer.healthcheck.path': '/up',
      'traefik.http.services.unit-api-2.loadbalancer.healthcheck.interval': '5s',
    });
    expect(Object.keys(labels('svc_plain_1')).filter((k) => k.startsWith('traefik.'))).toEqual([]);
    const noTls = dockerStack((s) => {
      s.proxy = { service: svc(s, 'proxy', { kind: 'traefik' }), entrypoints: ['web'] };
      svc(s, 'api').addPort('http', 8000).addRoute({ rule: 'Host(`a`)', port: 8000 });
    }).containers.svc_api_1.labels.map((l: { label: string }) => l.label);
    expect(noTls.filter((k: string) => k.includes('tls') || k.includes('healthcheck'))).toEqual([]);
  });

  it('pulls an image once per host and name, and keeps it on the host when the resource goes (a rollback or a sibling stack still needs it)', () => {
    const { json } = dockerStack((s) => {
      svc(s, 'a', { image: { repository: 'x/shared', tag: '1' } });
      svc(s, 'b', { image: { repository: 'x/shared', tag: '1' } });
      svc(s, 'c', { image: { repository: 'x/shared', tag: '1' }, host: 'edge' });
    }, { hosts: ['main', 'edge'] });
    const images = json.resource.docker_image as Record<string, { name: string; keep_locally: boolean; provider: string }>;
    expect(Object.values(images).map((i) => [i.provider, i.name, i.keep_locally]).sort()).toEqual([
      ['docker.edge', 'x/shared:1', true],
      ['docker.main', 'x/shared:1', true],
    ]);
  });

  it('waits for a healthy container as long as its healthcheck may take to pass, plus half a minute, at least a minute; jobs and unchecked services are not waited for', () => {
    const hc = (startPeriodSeconds: number, intervalSeconds: number, retries: number) => ({ test: ['CMD', 'true'], intervalSeconds, timeoutSeconds: 1, retries, startPeriodSeconds });
    const { containers } = dockerStack((s) => {
      svc(s, 'slow', { healthcheck: hc(40, 10, 5) });
      svc(s, 'quick', { healthcheck: hc(0, 2, 3) });
      svc(s, 'bare');
    });
    // 40 s start period, then 6 checks 10 s apart, then 30 s: 130 s
    expect([containers.svc_slow_1.wait, containers.svc_slow_1.wait_timeout]).toEqual([true, 130]);
    expect([containers.svc_quick_1.wait, containers.svc_quick_1.wait_timeout]).toEqual([true, 60]);
    expect([containers.svc_bare_1.wait, containers.svc_bare_1.wait_timeout]).toEqual([undefined, undefined]);
  });
});

