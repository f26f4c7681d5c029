import { describe, expect, it } from 'vitest';
import { WebService } from '../../constructs/web-service';
import { WorkerPool } from '../../constructs/worker-pool';
import { ConfigError } from '../../lib/config/errors';
import { dockerStack } from './harness';

describe('WorkerPool', () => {
  it('puts replicas on each host, ports in sequence from basePort per host, each announcing its public URL', () => {
    const { containers } = dockerStack((s) => {
      const api = new WebService(s, 'api', { host: 'main', image: 'x/api', tag: '1', port: 8000, health: '/h', replicas: 1, ports: { http: { container: 8000, publish: 8000, bind: '0.0.0.0' } } });
      new WorkerPool(s, 'bt', { image: 'x/worker', tag: '1', command: ['work'], type: 'backtesting', hosts: { main: 1, edge: 2 }, bind: '0.0.0.0' }).registerWith(api);
    }, { hosts: ['main', 'edge'] });
    const e2 = containers['svc_bt-edge_2'] ?? containers.svc_bt_edge_2;
    expect(e2.env).toEqual(expect.arrayContaining(['WORKER_TYPE=backtesting', 'WORKER_PORT=5004', 'WORKER_PUBLIC_BASE_URL=http://10.0.0.2:5004', 'API_URL=http://10.0.0.1:8000']));
    expect(e2.ports).toEqual([{ internal: 5004, external: 5004, ip: '0.0.0.0', protocol: 'tcp' }]);
    const m1 = containers['svc_bt-main_1'] ?? containers.svc_bt_main_1;
    expect(m1.env).toContain('WORKER_PORT=5003');
    expect(m1.destroy_grace_seconds).toBe(120);
  });

  it('a host the environment does not have: one clear error when the stack is made (the model rules\'), not also a host without an address', () => {
    let problems: string[] = [];
    try {
      dockerStack((s) => {
        new WorkerPool(s, 'bt', { image: 'x/worker', tag: '1', command: ['work'], type: 'backtesting', hosts: { nowhere: 1 }, bind: '0.0.0.0' });
      });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = e.problems.map((p) => `${p.file} ${p.message}`);
    }
    expect(problems).toEqual(['construct unit/bt/nowhere unknown host "nowhere"; declared hosts: main']);
  });
});
