/** Worker pools and Celery from environment files, and the bad input of fleets and observability, checked on synthesized JSON. */
import { describe, expect, it } from 'vitest';
import { loadEnvironments } from '../lib/environments';
import { errors, shared, synth, twoHostEnvironment, writeFiles } from './helpers';

const base = twoHostEnvironment;

const one = (services: string, extra = '') => errors({ 'e.yaml': base(services, extra) });

describe('WorkerPool', () => {
  const pools = `  backend: { kind: service, host: core, image: x/api, tag: "1", ports: { http: { container: 8000, publish: 8000, bind: 0.0.0.0 } } }
  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run, backtest], type: backtesting, hosts: { b: 2 }, bind: 0.0.0.0, registerWith: backend, registerEnv: KTRDR_API_URL, uses: [db], resources: { cpus: 1, memory: 3g } }
  training: { kind: worker-pool, image: x/api, tag: "1", command: [run, training], type: training, hosts: { b: 1 }, bind: 0.0.0.0, resources: { cpus: 2, memory: 5g } }
`;
  const cOf = shared(() => synth({ 'e.yaml': base(pools) }).obs.resource.docker_container);

  it('allocates ports in sequence per host across pools and builds each public URL from the host address', () => {
    const c = cOf();
    expect([c.svc_backtest_b_1, c.svc_backtest_b_2, c.svc_training_b_1].map((x: any) => x.ports[0].external)).toEqual([5003, 5004, 5005]);
    expect(c.svc_backtest_b_2.env).toEqual(expect.arrayContaining(['WORKER_PORT=5004', 'WORKER_PUBLIC_BASE_URL=http://b.example.com:5004', 'WORKER_TYPE=backtesting', 'KTRDR_API_URL=http://core.example.com:8000', 'DB_HOST=core.example.com']));
    expect([c.svc_backtest_b_1.cpus, c.svc_backtest_b_1.memory, c.svc_training_b_1.cpus, c.svc_training_b_1.memory]).toEqual(['1.0', 3072, '2.0', 5120]);
  });

  it('with `metrics: true` Prometheus scrapes every worker at its host address and port; the port is published once', () => {
    const s = synth({ 'e.yaml': base(pools.replace('type: backtesting,', 'type: backtesting, metrics: true,') + '  prometheus: { kind: prometheus, host: core }\n') }).obs.resource;
    const config = s.docker_container.svc_prometheus_1.upload.find((u: any) => u.file === '/etc/prometheus/prometheus.yml').content;
    expect(config).toContain('  - job_name: "backtest-b"\n    static_configs:\n      - targets: ["b.example.com:5003", "b.example.com:5004"]');
    // only the pool that says so
    expect(config).not.toContain('training');
    expect(s.docker_container.svc_backtest_b_2.ports).toEqual([{ internal: 5004, external: 5004, ip: '0.0.0.0', protocol: 'tcp' }]);
    // `scrape:` may name such a pool
    const only = synth({ 'e.yaml': base('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 1 }, bind: 0.0.0.0, metrics: true }\n  prometheus: { kind: prometheus, host: core, scrape: [backtest] }\n') }).obs.resource;
    expect(only.docker_container.svc_prometheus_1.upload.find((u: any) => u.file === '/etc/prometheus/prometheus.yml').content).toContain('"b.example.com:5003"');
    // a pool on another host that listens on loopback only (the default bind) cannot be scraped from core: refused
    expect(one('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 1 }, metrics: true }\n  prometheus: { kind: prometheus, host: core, scrape: [backtest] }\n')).toEqual([
      'e.yaml:8:3 services.backtest.bind: prometheus on host core reaches backtest-b at b.example.com:5003, but it listens on 127.0.0.1 only; set `bind:` here to an address they reach (e.g. 0.0.0.0 or the host\'s private address)',
    ]);
    // and without a Prometheus, `metrics` would do nothing: refused
    expect(one('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 1 }, metrics: true }\n')).toEqual([
      'e.yaml:8:110 services.backtest.metrics: has no effect: the environment has no Prometheus to scrape the workers; add a service of kind: prometheus or remove `metrics`',
    ]);
  });
});

describe('WorkerPool, rule by rule', () => {
  const pool = (extra: string, hosts = '{ b: 1 }') => `  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: ${hosts}${extra} }\n`;
  /** Loads without a problem (loadEnvironments throws every problem together). */
  const loads = (text: string) => loadEnvironments(writeFiles({ 'e.yaml': text }))[0];
  const backend = '  backend: { kind: web, host: core, image: x/api, tag: "1", port: 8000, health: /h, replicas: 1, ports: { http: { container: 8000, publish: 8000, bind: 0.0.0.0 } } }\n';

  it('the pool\'s own checks, each at its key: no host, a host the environment lacks, registerEnv without registerWith, registerWith a service that does not exist', () => {
    expect(one(pool('', '{}'))).toEqual(['e.yaml:8:93 services.backtest.hosts: name at least one host']);
    expect(one(pool('', '{ nowhere: 1 }'))).toEqual(['e.yaml:8:102 services.backtest.hosts.nowhere: unknown host "nowhere"; known: core, b']);
    expect(one(pool(', registerEnv: KTRDR_API_URL'))).toEqual(['e.yaml:8:110 services.backtest.registerEnv: has no effect without `registerWith:` (it names the variable that receives that service\'s URL); add `registerWith:` or remove `registerEnv:`']);
    expect(one(pool(', registerWith: ghost, bind: 0.0.0.0'))).toEqual(['e.yaml:8:110 services.backtest.registerWith: unknown service "ghost"; known: db, backtest']);
    // the default variable without registerWith says nothing
    expect(loads(base(pool(''))).service('backtest-b')).toBeDefined();
  });

  it('registerWith a service that calls the workers back at a public address while they listen on loopback only: refused; a loopback address or a public bind is fine', () => {
    expect(one(backend + pool(', registerWith: backend'))).toEqual([
      'e.yaml:9:3 services.backtest.bind: backend calls the workers on host b back at b.example.com:5003, but they listen on 127.0.0.1 only; set `bind:` here to an address it reaches (e.g. 0.0.0.0 or the host\'s private address)',
    ]);
    expect(loads(base(backend + pool(', registerWith: backend, bind: 0.0.0.0'))).service('backtest-b')).toBeDefined();
    const local = base(backend + pool(', registerWith: backend')).replace('b: { docker: "ssh://deploy@b.example.com", address: b.example.com }', 'b: { docker: "ssh://deploy@b.example.com", address: 127.0.0.1 }');
    expect(loads(local).service('backtest-b')).toBeDefined();
  });

  it('each worker: its host\'s address as WORKER_HOSTNAME, the pool\'s env, stopGracePeriod as the stop grace; the workers wait for the service they register with to be healthy', () => {
    const c = synth({ 'e.yaml': base(backend + pool(', registerWith: backend, bind: 0.0.0.0, env: { MODE: fast, LIMIT: 3 }, stopGracePeriod: 10m')) }).obs.resource.docker_container;
    expect(c.svc_backtest_b_1.env).toEqual(expect.arrayContaining(['WORKER_HOSTNAME=b.example.com', 'MODE=fast', 'LIMIT=3', 'API_URL=http://core.example.com:8000']));
    expect(c.svc_backtest_b_1.destroy_grace_seconds).toBe(600);
    const model = loads(base(backend + '  plain: { kind: service, host: core, image: x/p, tag: "1", ports: { http: { container: 80, publish: 8080, bind: 0.0.0.0 } } }\n' + pool(', registerWith: backend, bind: 0.0.0.0') + pool(', registerWith: plain, bind: 0.0.0.0', '{ b: 1 }').replace('backtest:', 'other:')));
    const deps = (name: string) => model.service(name)!.dependencies.map((d) => `${d.service.serviceName} ${d.condition}`);
    expect(deps('backtest-b')).toEqual(['backend healthy']);
    expect(deps('other-b')).toEqual(['plain started']);
  });

  it('a service that uses one on another host without `address:`: refused at its `uses:`, naming the key to give', () => {
    const t = base('  cache: { kind: service, host: b, image: x/c, tag: "1", ports: { http: { container: 80, publish: 8080, bind: 0.0.0.0 } } }\n  api: { kind: service, host: core, image: x/a, tag: "1", uses: [cache] }\n')
      .replace('b: { docker: "ssh://deploy@b.example.com", address: b.example.com }', 'b: { docker: "ssh://deploy@b.example.com" }');
    expect(errors({ 'e.yaml': t })).toEqual(['e.yaml:9:59 services.api.uses: uses cache on host b, which has no `address:`; give hosts.b.address so other hosts can reach it']);
  });

  it('registerWith a service without an http port, or one on another host that does not publish it: refused, never a worker without its URL', () => {
    expect(one('  plain: { kind: service, host: core, image: x/p, tag: "1" }\n' + pool(', registerWith: plain, bind: 0.0.0.0'))).toEqual([
      'e.yaml:9:110 services.backtest.registerWith: plain has no `http` port for the workers to register with; give it one (`ports: { http: ... }`) or name another service',
    ]);
    expect(one('  unpublished: { kind: service, host: core, image: x/p, tag: "1", ports: { http: 8000 } }\n' + pool(', registerWith: unpublished, bind: 0.0.0.0'))).toEqual([
      'e.yaml:9:3 services.backtest.uses: uses unpublished from another host, but unpublished does not publish its http port; set `publish:` on it',
    ]);
  });

  it('a service that uses a pool waits for the workers of every host to have started', () => {
    const model = loads(base(pool(', bind: 0.0.0.0', '{ b: 1, core: 1 }') + '  api: { kind: service, host: core, image: x/a, tag: "1", uses: [backtest] }\n'));
    expect(model.service('api')!.dependencies.map((d) => `${d.service.serviceName} ${d.condition}`).sort()).toEqual(['backtest-b started', 'backtest-core started']);
  });

  it('the port sequence may end at 65535 exactly; a pool of no replicas after one that ran past it adds no error of its own', () => {
    expect(loads(base(pool(', basePort: 65533', '{ b: 3 }'))).service('backtest-b')?.replicas).toBe(3);
    expect(one(pool(', basePort: 65535', '{ b: 2 }') + pool('', '{ b: 0 }').replace('backtest:', 'idle:'))).toEqual([
      'e.yaml:8:110 services.backtest.basePort: needs host ports up to 65536 on host b, past 65535; lower `basePort` or the replicas',
    ]);
  });

  it('on Kubernetes no host port is taken and no node pool needs an address: neither check applies', () => {
    const k8s = 'name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  nodePools: { general: {} }\nservices:\n'
      + '  backend: { kind: web, host: general, image: x/api, tag: "1", port: 8000, health: /h }\n'
      + '  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { general: 3 }, basePort: 65535, registerWith: backend }\n';
    expect(loads(k8s).service('backtest-general')?.replicas).toBe(3);
  });
});

describe('Celery', () => {
  it('a worker and a beat take their broker from the Redis they use', () => {
    const c = synth({ 'e.yaml': base('  redis: { kind: redis, host: core, password: REDIS_PASSWORD }\n  worker: { kind: celery-worker, host: core, image: x/api, tag: "1", app: app.worker, queues: [default, slow], concurrency: 4, uses: [redis] }\n  beat: { kind: celery-beat, host: core, image: x/api, tag: "1", app: app.worker, uses: [redis] }\n') }).obs.resource.docker_container;
    expect(c.svc_worker_1.command).toEqual(['celery', '-A', 'app.worker', 'worker', '--loglevel=INFO', '-Q', 'default,slow', '--concurrency', '4']);
    expect(c.svc_worker_1.env).toEqual(expect.arrayContaining(['CELERY_BROKER_URL_FILE=/run/secrets/REDIS_URL', 'CELERY_RESULT_BACKEND_FILE=/run/secrets/REDIS_URL']));
    expect(c.svc_beat_1.command).toEqual(['celery', '-A', 'app.worker', 'beat', '--loglevel=INFO']);
  });
});

describe('bad input for fleets and observability', () => {
  it('port collision between a pool and a service on one host', () => {
    expect(one('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 2 } }\n  other: { kind: service, host: b, image: x/o, tag: "1", ports: { http: { container: 80, publish: 5004 } } }\n')).toEqual([
      'e.yaml:9:58 services.other.ports: publishes host port 5004 on host b, which backtest-b (replica 2) already publishes; choose another port',
    ]);
  });
  it('a worker host without a public address', () => {
    const out = errors({ 'e.yaml': base('  backtest: { kind: worker-pool, image: x/api, tag: "1", command: [run], type: backtesting, hosts: { b: 1 } }\n').replace('b: { docker: "ssh://deploy@b.example.com", address: b.example.com }', 'b: { docker: "ssh://deploy@b.example.com" }') });
    expect(out).toEqual(['e.yaml:8:102 services.backtest.hosts.b: worker host b has no `address:`, but workers register with a public URL built from it; give hosts.b.address']);
  });
  it('a retention that is not a duration', () => {
    expect(one('  prometheus: { kind: prometheus, host: core, retention: 90 days }\n')).toEqual([
      'e.yaml:8:47 services.prometheus.retention: expected a duration such as 10s, 1m30s, 2h or 90d (got "90 days")',
    ]);
  });
  it('a scrape target on a service with no metrics port', () => {
    expect(one('  api: { kind: service, host: core, image: x/a, tag: "1" }\n  prometheus: { kind: prometheus, host: core, scrape: [api] }\n')).toEqual([
      'e.yaml:9:56 services.prometheus.scrape.0: api declares no `metrics` port to scrape; add `ports: { metrics: <port> }` to it (`metrics: true` on a worker pool) or remove it here',
    ]);
  });
  it('tracing without a Jaeger, and Celery without a broker', () => {
    expect(one('  api: { kind: service, host: core, image: x/a, tag: "1", tracing: true }\n  worker: { kind: celery-worker, host: core, image: x/api, tag: "1", app: app.worker }\n')).toEqual([
      'e.yaml:8:59 services.api.tracing: sends traces, but the environment has no Jaeger; add a service of kind: jaeger or remove `tracing`',
      'e.yaml:9:3 services.worker.uses: a Celery service needs a Redis in `uses:` as its broker and result backend',
    ]);
  });
  it('a celery beat asked for two replicas', () => {
    expect(one('  redis: { kind: redis, host: core, password: REDIS_PASSWORD }\n  beat: { kind: celery-beat, host: core, image: x/api, tag: "1", app: a, uses: [redis], replicas: 2 }\n')).toEqual([
      'e.yaml:9:89 services.beat.replicas: beat is a singleton and must run exactly 1 replica, got 2; remove `replicas` or use kind: web',
    ]);
  });
});
