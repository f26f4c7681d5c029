/** `extends:` merges: mappings key by key, lists replaced, and `null` removes what the base file has. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_FILE_BYTES, parseYamlFile, unreadableReason } from '../lib/config/yaml-source';
import { errors, MINIMAL, shared, synth, tempDir } from './helpers';

const BASE = `partial: true
hosts:
  main: { docker: "unix:///var/run/docker.sock", address: 10.0.0.1 }
secrets: [DB_PASSWORD]
nfs:
  shared: { server: files }
services:
  files: { kind: nfs-server, host: main, bind: 0.0.0.0 }
  db: { kind: postgres, host: main, password: DB_PASSWORD }
  api: { kind: service, host: main, image: x/api, tag: "1", mounts: { shared: /mnt/shared }, env: { A: "1", B: "2" } }
`;

describe('extends', () => {
  it('null in the extending file removes a service, a mount, an NFS volume and an env entry of the base', () => {
    const s = synth({
      'base.yaml': BASE,
      'env.yaml': 'name: env\nextends: ./base.yaml\nnfs: { shared: null }\nservices:\n  files: null\n  api: { mounts: { shared: null }, env: { B: null } }\n',
    }, ['env.yaml']).env.resource;
    expect(Object.keys(s.docker_container).sort()).toEqual(['svc_api_1', 'svc_db_1']);
    expect(s.docker_volume && Object.keys(s.docker_volume).filter((k) => k.startsWith('nfs_'))).toEqual([]);
    expect(s.docker_container.svc_api_1.env).toEqual(['A=1']);
    expect(s.docker_container.svc_api_1.volumes).toBeUndefined();
  });

  it('without the removal the base keeps them (the same files, null left out)', () => {
    const s = synth({ 'base.yaml': BASE, 'env.yaml': 'name: env\nextends: ./base.yaml\n' }, ['env.yaml']).env.resource;
    expect(Object.keys(s.docker_container).sort()).toEqual(['svc_api_1', 'svc_db_1', 'svc_files_1']);
    expect(s.docker_container.svc_api_1.env).toEqual(['A=1', 'B=2']);
  });

  it('null for something the base does not have is an error at its place; errors in what is kept still point at the base', () => {
    expect(errors({ 'env.yaml': `${MINIMAL}  cache: null\n` })).toEqual([
      'env.yaml:17:3 services.cache: expected a mapping, got an empty value',
    ]);
    expect(errors({
      'env.yaml': 'name: env\nextends: ./base.yaml\nservices:\n  files: null\n',
      'base.yaml': BASE.replace('kind: postgres, host: main', 'kind: postgres, host: mian'),
    })).toEqual([
      // the removed server is still named by the NFS volume the extending file kept
      'base.yaml:6:13 nfs.shared.server: "files" is not an nfs-server service of this environment; name the service of kind: nfs-server that exports this volume',
      'base.yaml:9:25 services.db.host: unknown host "mian"; did you mean "main"?',
    ]);
  });
});

describe('the size bound of an environment file', () => {
  it('exactly 1 MiB is read; one byte more is refused by its size, before it is opened', () => {
    const dir = tempDir();
    const at = path.join(dir, 'at.yaml');
    const over = path.join(dir, 'over.yaml');
    const text = `name: x\n# ${'x'.repeat(MAX_FILE_BYTES - 11)}\n`;
    expect(Buffer.byteLength(text)).toBe(MAX_FILE_BYTES);
    fs.writeFileSync(at, text);
    fs.writeFileSync(over, `${text} `);
    expect(unreadableReason(at)).toBeUndefined();
    expect(parseYamlFile(at).problems).toEqual([]);
    expect(unreadableReason(over)).toBe(`is larger than 1 MiB (${MAX_FILE_BYTES + 1} bytes)`);
  });
});

describe('seed 003 on the test fleet (test/fleet/environments/homelab.yaml)', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const root = path.resolve(__dirname, '..');
  const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
  const bothOf = shared(() => synth({
    'examples/trading-homelab/base.yaml': read('examples/trading-homelab/base.yaml'),
    'examples/trading-homelab/homelab.yaml': read('examples/trading-homelab/homelab.yaml'),
    'test/fleet/environments/homelab.yaml': read('test/fleet/environments/homelab.yaml'),
  }, ['test/fleet/environments/homelab.yaml']).homelab.resource);

  it('keeps the example\'s containers and hosts but the NFS server, every image from the fleet registry', () => {
    const both = bothOf();
    const c = both.docker_container;
    expect(Object.keys(c).sort()).toEqual([
      'svc_backend_1', 'svc_backtest_workers_workers_b_1', 'svc_backtest_workers_workers_b_2', 'svc_backtest_workers_workers_c_1', 'svc_backtest_workers_workers_c_2',
      'svc_db_1', 'svc_db_backup_1', 'svc_grafana_1', 'svc_jaeger_1', 'svc_prometheus_1', 'svc_scheduler_core_1',
      'svc_training_workers_workers_b_1', 'svc_training_workers_workers_b_2', 'svc_training_workers_workers_c_1', 'svc_training_workers_workers_c_2',
    ]);
    for (const i of Object.values(both.docker_image) as any[]) expect(i.name.startsWith('10.231.0.2:5000/'), i.name).toBe(true);
    expect(Object.keys(both.docker_volume).filter((k) => k.startsWith('nfs_'))).toEqual([]);
    const labels = Object.fromEntries(c.svc_db_backup_1.labels.map((l: any) => [l.label, l.value]));
    expect(labels['ofelia.job-exec.db-backup.schedule']).toBe('*/20 * * * * *');
    expect(labels['ofelia.job-exec.db-backup.command']).toContain('/backups/ktrdr_');
    expect(c.svc_training_workers_workers_c_2.env).toContain('WORKER_PUBLIC_BASE_URL=http://10.231.0.4:5006');
  });
});
