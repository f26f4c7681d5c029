import { describe, expect, it } from 'vitest';
import { Alertmanager } from '../../constructs/alertmanager';
import { dockerStack } from './harness';

describe('Alertmanager', () => {
  it('writes the routing tree and webhook receivers of its props into its config file, data in a protected volume', () => {
    const { containers, json } = dockerStack((s) => new Alertmanager(s, 'alerts', {
      host: 'main', defaultReceiver: 'ops', receivers: { ops: 'https://hooks.example.com/ops', db: 'https://hooks.example.com/db' }, routes: [{ match: { team: 'db' }, receiver: 'db' }],
    }));
    const c = containers.svc_alerts_1;
    expect(c.command).toEqual(['--config.file=/etc/alertmanager/alertmanager.yml', '--storage.path=/alertmanager']);
    const conf = c.upload.find((u: any) => u.file === '/etc/alertmanager/alertmanager.yml');
    expect(conf.content).toBe('route:\n  receiver: "ops"\n  routes:\n    - receiver: "db"\n      matchers:\n        - "team=\\"db\\""\nreceivers:\n  - name: "ops"\n    webhook_configs:\n      - url: "https://hooks.example.com/ops"\n  - name: "db"\n    webhook_configs:\n      - url: "https://hooks.example.com/db"\n');
    // the image runs as nobody: its files are readable by it, through group root
    expect(c.group_add).toBeUndefined();
    expect(conf.permissions).toBe('0444');
    expect(json.resource.docker_volume.volume_alerts_data.lifecycle).toEqual({ prevent_destroy: true });
    expect(c.healthcheck.test).toEqual(['CMD', 'wget', '-qO-', 'http://localhost:9093/-/healthy']);
  });
});
