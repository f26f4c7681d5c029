/**
 * What the Kubernetes renderer (lib/kubernetes/render.ts) writes for small clusters that no bundled
 * environment's manifest pins: PGDATA moved below a volume only where it is one, secrets as
 * variables and as files, the pod's own address first, node selectors only where a pool has
 * labels, NFS mount options without rw/ro, and the volumes in name order.
 */
import * as fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synthKubernetes } from '../scripts/synth-k8s';
import { tempDir, writeFiles } from './helpers';

const cluster = (services: string, extra = '') =>
  `name: k\nplatform: kubernetes\nkubernetes:\n  namespace: k\n  storageClass: standard\n  nodePools: { general: { labels: { pool: general } }, plain: {} }\n${extra}secrets: [DB_PASSWORD, JWT_SECRET]\nservices:\n${services}`;

function render(yaml: string): any[] {
  const [f] = synthKubernetes([writeFiles({ 'k.yaml': yaml })], tempDir());
  return parseAllDocuments(fs.readFileSync(f, 'utf8')).map((d) => d.toJS());
}
const workload = (docs: any[], name: string) => docs.find((d) => ['Deployment', 'StatefulSet'].includes(d.kind) && d.metadata.name === name);
const podOf = (docs: any[], name: string) => workload(docs, name).spec.template.spec;

describe('the Kubernetes renderer', () => {
  it('moves PGDATA one level below its volume only when PGDATA is the volume, and leaves every other variable as given', () => {
    const docs = render(cluster(
      '  a: { kind: service, host: general, image: x/a, tag: "1", volumes: { data: /data, other: /other }, env: { PGDATA: /data, DIR: /other } }\n' +
      '  b: { kind: service, host: general, image: x/b, tag: "1", volumes: { data: /data }, env: { PGDATA: /elsewhere } }\n',
    ));
    const env = (n: string) => Object.fromEntries(podOf(docs, n).containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env('a')).toEqual({ DIR: '/other', PGDATA: '/data/pgdata' });
    expect(env('b')).toEqual({ PGDATA: '/elsewhere' });
  });

  it('gives a secret as a variable from its Secret, a secret as a file as a mount, never one for the other', () => {
    const docs = render(cluster('  a: { kind: service, host: general, image: x/a, tag: "1", secrets: [JWT_SECRET, { name: DB_PASSWORD, as: env }] }\n'));
    const pod = podOf(docs, 'a');
    const c = pod.containers[0];
    expect(c.env.filter((e: any) => e.valueFrom).map((e: any) => e.name)).toEqual(['DB_PASSWORD']);
    expect(c.env.find((e: any) => e.name === 'DB_PASSWORD').valueFrom.secretKeyRef.key).toBe('value');
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/run/secrets/JWT_SECRET']);
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['secret-jwt-secret']);
  });

  it('selects nodes by the pool\'s labels, and not at all on a pool without labels', () => {
    const docs = render(cluster('  a: { kind: service, host: general, image: x/a, tag: "1" }\n  b: { kind: service, host: plain, image: x/b, tag: "1" }\n'));
    expect(podOf(docs, 'a').nodeSelector).toEqual({ pool: 'general' });
    expect(podOf(docs, 'b').nodeSelector).toBeUndefined();
  });

  it('writes one PersistentVolume per NFS volume in name order, by the server\'s fixed address, mount options without rw/ro (the claim says which)', () => {
    const docs = render(cluster(
      '  nfs: { kind: nfs-server, host: general, exportPath: /srv/share }\n  a: { kind: service, host: general, image: x/a, tag: "1", mounts: { zeta: /z, alpha: /a } }\n',
      'nfs:\n  zeta: { server: nfs, options: "ro,nfsvers=4.1,hard" }\n  alpha: { server: nfs, path: /alpha }\n',
    ).replace('  nodePools:', '  clusterIPs: { nfs: 10.96.0.49 }\n  nodePools:'));
    const pvs = docs.filter((d) => d.kind === 'PersistentVolume');
    expect(pvs.map((d) => [d.metadata.name, d.spec.nfs, d.spec.mountOptions])).toEqual([
      ['k-nfs-alpha', { server: '10.96.0.49', path: '/alpha' }, ['nfsvers=4', 'soft']],
      ['k-nfs-zeta', { server: '10.96.0.49', path: '/' }, ['nfsvers=4.1', 'hard']],
    ]);
  });
});

