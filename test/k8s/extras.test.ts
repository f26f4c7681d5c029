/**
 * `npm run test:k8s`: what the `cluster` environment has none of, on the same real node, from the
 * test-only environment test/k8s/extras/k8s-extras.yaml (namespace `extras`) rendered by
 * synth:k8s's own function: a scheduled job as a CronJob that really runs, and Prometheus scraping
 * its targets by Kubernetes Service names (a Deployment of two replicas pod by pod through a
 * headless Service, one of one replica through its Service).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthKubernetes } from '../../scripts/synth-k8s';
import { clusterUp, deployFresh, k, objects, ROOT, sleep, waitReady, type Obj } from '../../scripts/lib/k8s-node';

const ENV = 'k8s-extras';
const NS = 'extras';
const ENV_DIR = path.join(ROOT, 'test', 'k8s', 'extras');
const kn = (args: readonly string[]) => k(['-n', NS, ...args]);

let objs: Obj[] = [];

beforeAll(() => {
  clusterUp();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-k8s-extras-'));
  const [file] = synthKubernetes([ENV_DIR], out);
  objs = objects(fs.readFileSync(file, 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  deployFresh(ENV, NS, objs, [], ENV_DIR);
}, 5_400_000);

interface Job {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  status: { succeeded?: number; failed?: number; completionTime?: string };
}

describe('the extras environment on a real node', () => {
  it('a scheduled job is a CronJob that runs: a Job it creates completes, with the command\'s output', async () => {
    const cron = objs.find((o) => o.kind === 'CronJob')!;
    expect(cron.metadata!.name).toBe('tick');
    expect((cron.spec as { schedule: string }).schedule).toBe('* * * * *');
    // every minute: the first run starts within 60 s of the apply, plus the image and the pod start
    const started = Date.now();
    let done: Job | undefined;
    while (!done && Date.now() - started < 240_000) {
      const jobs = (JSON.parse(kn(['get', 'jobs', '-o', 'json'])).items as Job[]).filter((j) => j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'tick'));
      expect(jobs.filter((j) => (j.status.failed ?? 0) > 0).map((j) => j.metadata.name)).toEqual([]);
      done = jobs.find((j) => (j.status.succeeded ?? 0) > 0);
      if (!done) await sleep(2000);
    }
    expect(done, 'no Job of CronJob tick completed within 240 s').toBeDefined();
    console.log(`CronJob tick: Job ${done!.metadata.name} completed ${Math.round((Date.now() - started) / 1000)} s after the apply`);
    expect(kn(['logs', `job/${done!.metadata.name}`]).trim()).toBe('tick ran');
    // the CronJob controller records the run
    for (let i = 0; i < 30 && !kn(['get', 'cronjob', 'tick', '-o', 'jsonpath={.status.lastSuccessfulTime}']); i++) await sleep(1000);
    expect(kn(['get', 'cronjob', 'tick', '-o', 'jsonpath={.status.lastSuccessfulTime}'])).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 400_000);

  it('Prometheus scrapes its targets by Kubernetes Service names, every replica, and they are up', async () => {
    waitReady(NS, objs);
    const config = (objs.find((o) => o.kind === 'ConfigMap' && o.metadata!.name === 'prometheus-files') as unknown as { data: Record<string, string> }).data['etc-prometheus-prometheus-yml'];
    expect(config).toContain('exporter-metrics.extras.svc');
    expect(config).toContain('single-exporter.extras.svc:9090');
    expect(config).not.toContain(`${ENV}-`); // no Docker container name
    const podIPs = (sel: string) => (JSON.parse(kn(['get', 'pods', '-l', sel, '-o', 'json'])).items as { metadata: { deletionTimestamp?: string }; status: { podIP: string } }[])
      .filter((p) => !p.metadata.deletionTimestamp).map((p) => p.status.podIP).sort();
    const exporters = podIPs('app.kubernetes.io/name=exporter');
    expect(exporters).toHaveLength(2);
    type Target = { labels: { job: string; instance: string }; scrapeUrl: string; health: string; lastError: string; discoveredLabels: Record<string, string> };
    let targets: Target[] = [];
    const started = Date.now();
    // a scrape every 5 s; DNS discovery refreshes every 30 s
    while (Date.now() - started < 180_000) {
      targets = JSON.parse(kn(['exec', 'prometheus-0', '-c', 'prometheus', '--', 'wget', '-qO-', 'http://localhost:9090/api/v1/targets?state=active'])).data.activeTargets;
      if (targets.length === 3 && targets.every((t) => t.health === 'up')) break;
      await sleep(3000);
    }
    console.log(`Prometheus targets after ${Math.round((Date.now() - started) / 1000)} s: ${targets.map((t) => `${t.labels.job} ${t.scrapeUrl} ${t.health}`).join('; ')}`);
    expect(targets.map((t) => `${t.labels.job} ${t.health} ${t.lastError}`).sort()).toEqual(['exporter up ', 'exporter up ', 'single-exporter up ']);
    // the replicated service: each pod by its address, found through the headless Service's name
    const replicated = targets.filter((t) => t.labels.job === 'exporter');
    expect(replicated.map((t) => t.labels.instance.replace(/:9090$/, '')).sort()).toEqual(exporters);
    for (const t of replicated) expect(t.discoveredLabels.__meta_dns_name).toBe('exporter-metrics.extras.svc');
    // the single one by its Service name
    expect(targets.find((t) => t.labels.job === 'single-exporter')!.scrapeUrl).toBe('http://single-exporter.extras.svc:9090/metrics');
  }, 600_000);
});
