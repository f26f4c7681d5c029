/**
 * `npm run test:k8s`: `homelab-cluster` (seed 003) on the real node, as far as this kernel allows.
 * The NFS server's fixed ClusterIP is taken from the node's service range (10.97.0.0/16), as README
 * says to for any cluster. The kernel has no NFS (no `nfs`/`nfsd` in /proc/filesystems, built
 * without module support: README, "Not proven on the node"), so the share can be neither served
 * nor mounted. What runs here:
 *
 *  - every object of the rendered manifests, the NFS PersistentVolume, its claim and the pods
 *    mounting it included, accepted by the node's API server in a server-side dry run;
 *  - for real, the workloads that mount no NFS volume and whose images have local stand-ins
 *    (db on postgres:17 for TimescaleDB, Prometheus), with every Service, ConfigMap, Secret and
 *    the RBAC of the file: they become Ready, and Prometheus's target is the backend by its
 *    Kubernetes Service name.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthKubernetes } from '../../scripts/synth-k8s';
import { apply, clusterUp, freshNamespace, imagesOf, k, loadImages, objects, podSpec, ROOT, sleep, standIn, toYaml, waitReady, type Obj } from '../../scripts/lib/k8s-node';

const ENV = 'homelab-cluster';
const NS = 'ktrdr';
const ENV_DIR = path.join(ROOT, 'examples', 'trading-homelab');
const kn = (args: readonly string[]) => k(['-n', NS, ...args]);
const WORKLOADS = ['Deployment', 'StatefulSet', 'Job', 'CronJob'];
const NFS_IP = '10.97.0.49';

let all: Obj[] = [];
/** Why a workload does not run on this node, or undefined when it does. */
function notRun(o: Obj): string | undefined {
  const spec = podSpec(o);
  const nfsClaims = (spec?.volumes ?? []).filter((v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName.startsWith('nfs-'));
  if ((o as { metadata: { labels?: Record<string, string> } }).metadata.labels?.['stackyard.kind'] === 'nfs') return 'the NFS server (the kernel has no nfsd)';
  if (nfsClaims.length) return 'mounts the NFS share (the kernel has no NFS client)';
  const missing = imagesOf([o]).filter((r) => !standIn(r));
  if (missing.length) return `no local image for ${missing.join(', ')}`;
  return undefined;
}
const isNfsVolume = (o: Obj) => (o.kind === 'PersistentVolume' || o.kind === 'PersistentVolumeClaim') && o.metadata!.name!.includes('nfs-');
const running = () => all.filter((o) => WORKLOADS.includes(o.kind!) && !notRun(o));

beforeAll(() => {
  clusterUp();
  // the NFS server's fixed ClusterIP is chosen from the cluster's service range (README): the node's is 10.97.0.0/16
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-k8s-homelab-'));
  const src = path.join(tmp, 'src');
  fs.mkdirSync(src);
  for (const f of fs.readdirSync(ENV_DIR).filter((f) => f.endsWith('.yaml'))) fs.copyFileSync(path.join(ENV_DIR, f), path.join(src, f));
  const text = fs.readFileSync(path.join(src, 'cluster.yaml'), 'utf8');
  expect(text).toContain('clusterIPs: { nfs: 10.96.0.49 }');
  fs.writeFileSync(path.join(src, 'cluster.yaml'), text.replace('clusterIPs: { nfs: 10.96.0.49 }', `clusterIPs: { nfs: ${NFS_IP} }`));
  const file = synthKubernetes([src], path.join(tmp, 'out')).find((f) => path.basename(f) === `${ENV}.yaml`)!;
  all = objects(fs.readFileSync(file, 'utf8'));
  loadImages(imagesOf(running()));
  // the node carries the pool labels of what runs (the core pool: one node cannot be in both pools)
  freshNamespace(ENV, NS, running(), src);
  fs.rmSync(tmp, { recursive: true, force: true });
}, 5_400_000);

describe('homelab-cluster (seed 003) on a real node, except what needs NFS', () => {
  it('the API server accepts every object in a server-side dry run, the NFS volume and the pods mounting it included', () => {
    const out = k(['apply', '--dry-run=server', '-f', '-'], toYaml(all));
    const accepted = out.trim().split('\n');
    expect(accepted).toHaveLength(all.length);
    for (const line of accepted) expect(line).toMatch(/ (created|configured|unchanged) \(server dry run\)$/);
    expect((all.find((o) => o.kind === 'PersistentVolume')!.spec as { nfs: { server: string } }).nfs.server).toBe(NFS_IP);
    for (const name of ['service/nfs', 'persistentvolume/ktrdr-nfs-shared', 'persistentvolumeclaim/nfs-shared', 'statefulset.apps/nfs', 'deployment.apps/backend', 'cronjob.batch/db-backup']) {
      expect(accepted.some((l) => l.startsWith(`${name} `)), name).toBe(true);
    }
  });

  it('the workloads without NFS whose images exist here run and become Ready; Prometheus targets the backend by its Service name', async () => {
    const skipped = all.filter((o) => WORKLOADS.includes(o.kind!) && notRun(o)).map((o) => `${o.kind} ${o.metadata!.name}: ${notRun(o)}`);
    console.log(`homelab-cluster on the node: runs ${running().map((o) => `${o.kind} ${o.metadata!.name}`).join(', ')}; not run: ${skipped.join('; ')}`);
    expect(running().map((o) => o.metadata!.name).sort()).toEqual(['db', 'prometheus']);
    apply(all.filter((o) => !isNfsVolume(o) && (!WORKLOADS.includes(o.kind!) || !notRun(o))));
    waitReady(NS, running());
    expect(kn(['exec', 'db-0', '-c', 'db', '--', 'psql', '-U', 'ktrdr', '-d', 'ktrdr', '-tAc', 'SELECT 1']).trim()).toBe('1');
    // the scrape configuration names the backend's Service, which resolves
    type Target = { labels: { job: string }; scrapeUrl: string; health: string; lastError: string };
    let targets: Target[] = [];
    for (let i = 0; i < 60; i++) {
      targets = JSON.parse(kn(['exec', 'prometheus-0', '-c', 'prometheus', '--', 'wget', '-qO-', 'http://localhost:9090/api/v1/targets?state=active'])).data.activeTargets;
      if (targets.length && targets.every((t) => t.health !== 'unknown')) break;
      await sleep(2000);
    }
    expect(targets.map((t) => `${t.labels.job} ${t.scrapeUrl}`)).toEqual(['backend http://backend.ktrdr.svc:8000/metrics']);
    // down: no backend pod runs. The name resolved (no `no such host`); the ClusterIP without endpoints
    // should be refused by kube-proxy's REJECT, but on this node the CNI firewall plugin's FORWARD rule
    // accepts pod traffic first and the VM's gateway answers (404)
    expect(targets[0].health).toBe('down');
    expect(targets[0].lastError).not.toMatch(/no such host|server misbehaving/);
    console.log(`Prometheus target: ${targets[0].scrapeUrl} ${targets[0].health} (${targets[0].lastError})`);
  }, 1_200_000);
});
