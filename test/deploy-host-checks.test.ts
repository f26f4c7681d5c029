/**
 * `stackyard deploy` runs the host checks of `stackyard hosts` first (lib/deploy/run.ts,
 * checkHostsFirst): a host that does not answer stops the deploy before any engine or host is
 * touched, naming the host and the fix. Run in an empty project folder: no OpenTofu, no state.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const ROOT = path.resolve(__dirname, '..');

describe('deploy checks the hosts first', () => {
  it('an unreachable host stops the deploy before OpenTofu runs, naming the host and the fix', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'environments'));
    // port 1 on loopback: nothing listens there, the connection is refused at once
    fs.writeFileSync(path.join(dir, 'environments', 'x.yaml'), [
      'name: x',
      'hosts:',
      '  gone: { docker: "ssh://root@127.0.0.1:1", address: 127.0.0.1 }',
      'services:',
      '  web: { kind: service, host: gone, image: busybox, tag: "1" }',
      '',
    ].join('\n'));
    const r = spawnSync('node', [path.join(ROOT, 'dist', 'bin', 'stackyard.js'), 'deploy', 'x'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ENVIRONMENTS_DIR: 'environments' } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('FAIL gone (ssh://root@127.0.0.1:1): ssh connection refused');
    expect(r.stderr).toContain('start sshd on the host, or fix the port in hosts.gone.docker');
    expect(r.stderr).toContain('host checks failed for gone (above); nothing was changed');
    // synthesized, but no engine was prepared in the stack folder and no state was written
    expect(fs.existsSync(path.join(dir, 'cdktf.out', 'stacks', 'x', 'cdk.tf.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'cdktf.out', 'stacks', 'x', '.terraform'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.stackyard', 'state'))).toBe(false);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });
});
