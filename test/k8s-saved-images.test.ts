/**
 * The test node's saved stand-in images (scripts/lib/k8s-node.ts) are reused by the digest of
 * their inputs' contents, never by file times: a clean clone's files are all new, and must not
 * send `npm run test:k8s` to the busy Docker engine when nothing changed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-saved-images-'));
let m: typeof import('../scripts/lib/k8s-node');
const images = path.join(scratch, 'k8s-node', 'images');
const save = (name: string, stamp?: string) => {
  fs.writeFileSync(path.join(images, `${name}.tar`), 'tar');
  if (stamp !== undefined) fs.writeFileSync(path.join(images, `${name}.inputs`), `${stamp}\n`);
};

beforeAll(async () => {
  process.env.STACKYARD_SCRATCH = scratch;
  delete process.env.STACKYARD_K8S_RELOAD;
  m = await import('../scripts/lib/k8s-node');
  fs.mkdirSync(images, { recursive: true });
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('saved stand-in images', () => {
  it('the digest follows the inputs\' contents, not their times', () => {
    const a = path.join(scratch, 'Dockerfile');
    fs.writeFileSync(a, 'FROM x\n');
    const before = m.digestOf('stackyard-test/x:1', [a]);
    fs.utimesSync(a, new Date(), new Date(Date.now() + 3_600_000));
    expect(m.digestOf('stackyard-test/x:1', [a])).toBe(before);
    fs.writeFileSync(a, 'FROM y\n');
    expect(m.digestOf('stackyard-test/x:1', [a])).not.toBe(before);
    expect(m.digestOf('stackyard-test/x:2', [a])).not.toBe(m.digestOf('stackyard-test/x:1', [a]));
    fs.rmSync(a);
    expect(m.digestOf('stackyard-test/x:1', [a])).not.toBe(before);
  });

  it('the demo app\'s stand-ins depend on the acme Dockerfile and every file of the demo app', () => {
    const inputs = m.inputsOf(m.standIn('ghcr.io/acme/frontend:sha-1')).map((f) => path.relative(m.ROOT, f));
    expect(inputs).toContain('test/images/acme-app/Dockerfile');
    expect(inputs).toContain('test/images/demo-app/app.py');
    expect(inputs).toContain('test/images/demo-app/Dockerfile');
    expect(m.inputsOf(m.standIn('postgres:17.6'))).toEqual([]);
  });

  it('a tarball is current only with the stamp of its current inputs, however old it is', () => {
    const ref = 'ghcr.io/acme/backend:sha-1';
    const name = 'ghcr.io_acme_backend_sha-1';
    save(name);
    expect(m.savedImagesCurrent([ref])).toBe(false); // no stamp: saved before stamps, or by a failed turn
    save(name, 'f'.repeat(64));
    expect(m.savedImagesCurrent([ref])).toBe(false);
    const digest = m.digestOf(m.standIn(ref)!, m.inputsOf(m.standIn(ref)));
    save(name, digest);
    fs.utimesSync(path.join(images, `${name}.tar`), new Date(0), new Date(0));
    expect(m.savedImagesCurrent([ref])).toBe(true);
    fs.rmSync(path.join(images, `${name}.tar`));
    expect(m.savedImagesCurrent([ref])).toBe(false);
  });

  it('STACKYARD_K8S_RELOAD=1 forces a new turn, and one stale reference makes the set stale', () => {
    save('redis_7.4.5', m.digestOf('redis:7', []));
    save('postgres_17.6');
    expect(m.savedImagesCurrent(['redis:7.4.5'])).toBe(true);
    expect(m.savedImagesCurrent(['redis:7.4.5', 'postgres:17.6'])).toBe(false);
    process.env.STACKYARD_K8S_RELOAD = '1';
    try {
      expect(m.savedImagesCurrent(['redis:7.4.5'])).toBe(false);
    } finally {
      delete process.env.STACKYARD_K8S_RELOAD;
    }
  });
});

describe('the Docker lock, when the images must be saved again', () => {
  it('is not taken again below a `flock` that holds it (that would wait forever), and is taken otherwise', async () => {
    const { spawn } = await import('node:child_process');
    const lock = path.join(scratch, 'docker.lock');
    const holder = spawn('flock', ['-o', lock, 'sleep', '30'], { stdio: 'ignore' });
    try {
      // the sleep under the flock: the process whose parent is the flock
      let child = 0;
      for (let i = 0; i < 100 && !child; i++) {
        await new Promise((r) => setTimeout(r, 50));
        for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
          try {
            const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === holder.pid && stat.includes('(sleep)')) child = Number(p);
          } catch { /* gone */ }
        }
      }
      expect(child).toBeGreaterThan(0);
      expect(m.lockHeldAbove(lock, child)).toBe(true);
      expect(m.lockHeldAbove(path.join(scratch, 'other.lock'), child)).toBe(false);
      expect(m.lockHeldAbove(lock, process.pid)).toBe(false);
    } finally {
      holder.kill();
    }
  });
});
