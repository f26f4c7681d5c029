/**
 * `npm run bench:rolling:k8s`: zero-downtime updates on Kubernetes, measured. The `cluster`
 * environment (seed 000) runs on the project's single-node cluster (scripts/k8s-cluster.sh) while
 * steady traffic goes through the Traefik ingress to the backend (3 replicas, Host
 * api.example.com); each scenario changes the backend the way a release does and counts the
 * requests that failed (not 2xx, refused, or no answer in 10 s):
 *
 *   tag change     a new image (the demo app's version 2), rendered by synth:k8s from the edited environment
 *   env change     a new environment value
 *   rollback       `kubectl rollout undo --to-revision=1`: the first ReplicaSet (version 1) again
 *   failing image  a tag no registry has: the new pod never starts, the old ones keep serving; then undone
 *
 * Yardstick: the env change again with the drain removed from the pods (no preStop sleep), which
 * shows what the drain prevents. Not a test; needs root and the cluster lock:
 *   flock -o /tmp/stackyard-k8s.lock npm run bench:rolling:k8s
 */
import * as path from 'node:path';
import { apply, clusterUp, deployFresh, imagesOf, ingressUrl, k, ROOT, sleep, synthVariant, Traffic, waitReady } from './lib/k8s-node';

const ENV = 'cluster';
const NS = 'platform';
const HOST = 'api.example.com';
const PATHNAME = '/api/v1/whoami';
const DIR = path.join(ROOT, 'environments');

interface Outcome { name: string; n: number; failed: number; seconds: number; slowest: number; versions: string }

const kn = (args: readonly string[]) => k(['-n', NS, ...args]);
const rolledOut = () => kn(['rollout', 'status', 'deployment/backend', '--timeout=900s']);
const versionOf = (body: string) => {
  try {
    return String((JSON.parse(body) as { version: string }).version);
  } catch {
    return '?';
  }
};

/** Traffic before, during and after `change` (which returns once the backend settled). */
async function scenario(name: string, url: string, change: () => Promise<void> | void): Promise<Outcome> {
  const traffic = new Traffic(url, HOST, PATHNAME);
  await sleep(3000);
  const started = Date.now();
  await change();
  const seconds = Math.round((Date.now() - started) / 1000);
  await sleep(3000);
  await traffic.stop();
  const last = traffic.replies.slice(-20).filter((r) => r.status === 200);
  const o = {
    name,
    n: traffic.replies.length,
    failed: traffic.failed.length,
    seconds,
    slowest: Math.max(...traffic.replies.map((r) => r.ms)),
    versions: [...new Set(last.map((r) => versionOf(r.body)))].join(','),
  };
  console.log(`scenario ${o.name}: failed ${o.failed} of ${o.n} requests`);
  console.log(`  (${o.seconds} s from the change to settled, slowest reply ${o.slowest} ms, serving version ${o.versions} at the end)`);
  for (const f of traffic.failed.slice(0, 3)) console.log(`  failed: status ${f.status} after ${f.ms} ms: ${f.body.slice(0, 120)}`);
  return o;
}

async function main(): Promise<void> {
  clusterUp();
  const base = synthVariant(DIR, ENV, () => undefined);
  const tag = (s: Record<string, Record<string, unknown>>, t: string) => (s.backend.tag = t);
  const v2 = synthVariant(DIR, ENV, (s) => tag(s, 'sha-4f2c9e1-v2'));
  const v2env = synthVariant(DIR, ENV, (s) => {
    tag(s, 'sha-4f2c9e1-v2');
    s.backend.env = { ...(s.backend.env as object), BENCH_ROUND: '2' };
  });
  const broken = synthVariant(DIR, ENV, (s) => tag(s, 'sha-0000000-missing'));
  deployFresh(ENV, NS, base, imagesOf(v2));
  waitReady(NS, base);
  const url = ingressUrl();
  console.log(`the cluster environment is up; traffic: 4 clients through ${url} (Host ${HOST}), 100 ms between requests`);

  const outcomes: Outcome[] = [];
  outcomes.push(await scenario('tag change', url, () => {
    apply(v2);
    rolledOut();
  }));
  outcomes.push(await scenario('env change', url, () => {
    apply(v2env);
    rolledOut();
  }));
  outcomes.push(await scenario('rollback', url, () => {
    kn(['rollout', 'undo', 'deployment/backend', '--to-revision=1']);
    rolledOut();
  }));
  outcomes.push(await scenario('failing image', url, async () => {
    apply(broken);
    // the new pod cannot pull its image; the three old ones keep serving
    let reason = '';
    for (let i = 0; i < 360 && !/ErrImagePull|ImagePullBackOff/.test(reason); i++) {
      await sleep(500);
      reason = kn(['get', 'pods', '-l', 'app.kubernetes.io/name=backend', '-o', 'jsonpath={.items[*].status.containerStatuses[*].state.waiting.reason}']);
    }
    if (!/ErrImagePull|ImagePullBackOff/.test(reason)) throw new Error(`the broken tag's pod never failed to pull (${reason})`);
    await sleep(15_000);
    const ready = kn(['get', 'deployment', 'backend', '-o', 'jsonpath={.status.readyReplicas}']);
    console.log(`  the new pod: ${reason.trim()}; ready replicas meanwhile: ${ready}`);
    kn(['rollout', 'undo', 'deployment/backend']);
    rolledOut();
  }));
  const failed = outcomes.reduce((a, o) => a + o.failed, 0);
  const n = outcomes.reduce((a, o) => a + o.n, 0);

  // yardstick: the same kind of change with pods that stop at once (no drain)
  kn(['patch', 'deployment', 'backend', '--type', 'json', '-p', '[{"op":"remove","path":"/spec/template/spec/containers/0/lifecycle"}]']);
  rolledOut();
  const yard = await scenario('env change without the drain (yardstick)', url, () => {
    kn(['set', 'env', 'deployment/backend', 'BENCH_ROUND=3']);
    rolledOut();
  });
  apply(base);
  rolledOut();
  console.log(`k8s rolling failed requests: ${failed} of ${n}`);
  console.log(`yardstick (no drain): failed ${yard.failed} of ${yard.n}; with the drain: ${failed} of ${n}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
