/**
 * The last step of `npm run test:all`: `npm run test:k8s` (a real single-node cluster), unless
 * STACKYARD_SKIP_K8S=1, which `.ci/run` sets because the cold CI budget has no room for it
 * (README, "Why test:k8s is not in .ci/run"). A skip is printed, never silent.
 */
import { spawnSync } from 'node:child_process';

export type Gate = { run: true } | { run: false; message: string } | { error: string };

/** The cluster lock every use of the node takes (README). */
const K8S_LOCK = '/tmp/stackyard-k8s.lock';

export const SKIP_MESSAGE = `test:k8s skipped: STACKYARD_SKIP_K8S=1 (.ci/run sets it: the cold CI budget has no room for a Kubernetes node; README, "Why test:k8s is not in .ci/run"). Run it with: flock -o ${K8S_LOCK} npm run test:k8s`;

/** Whether test:all runs test:k8s, from STACKYARD_SKIP_K8S: `1` skips, unset, empty or `0` runs, anything else is an error. */
export function k8sGate(env: NodeJS.ProcessEnv): Gate {
  const v = env.STACKYARD_SKIP_K8S;
  if (v === undefined || v === '' || v === '0') return { run: true };
  if (v === '1') return { run: false, message: SKIP_MESSAGE };
  return { error: `STACKYARD_SKIP_K8S must be 1 (skip test:k8s) or 0/unset (run it), not ${JSON.stringify(v)}` };
}

if (require.main === module) {
  const gate = k8sGate(process.env);
  if ('error' in gate) {
    console.error(`test:all: ${gate.error}`);
    process.exit(1);
  }
  if (!gate.run) {
    console.log(gate.message);
    process.exit(0);
  }
  // under the cluster lock, like every other use of the node (README): two runs would share its bridge and iptables chains
  const r = spawnSync('flock', ['-o', K8S_LOCK, 'npm', 'run', 'test:k8s'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
