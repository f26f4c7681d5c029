/**
 * `npm run test:k8s`: `k8s-cluster.sh down` fails when `leftovers` names anything of the node on
 * the host, and the suite's teardown runs it (test/k8s/global-setup.ts). This proves `leftovers`
 * sees the real thing: with the node up it names its processes, the pod bridge, kube-proxy's and
 * the CNI plugins' chains and the pods' mounts.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterUp, must, ROOT, run } from '../../scripts/lib/k8s-node';

describe('what of the node is on the host', () => {
  it('with the node up, leftovers names its processes, bridge, iptables chains and mounts', () => {
    clusterUp();
    const left = must(run('bash', [path.join(ROOT, 'scripts', 'k8s-cluster.sh'), 'leftovers']), 'leftovers').split('\n');
    for (const c of ['containerd', 'etcd', 'kube-apiserver', 'kubelet', 'kube-proxy']) {
      expect(left.some((l) => l.startsWith('process ') && l.includes(c)), c).toBe(true);
    }
    expect(left).toContain('bridge syk8s0');
    expect(left).toContain('iptables -t nat chain KUBE-SERVICES');
    expect(left.some((l) => /^iptables -t nat chain CNI-[0-9a-f]{24}$/.test(l))).toBe(true);
    expect(left.some((l) => l.startsWith('mount ') && l.includes('/k8s-node/kubelet/pods/'))).toBe(true);
  });
});
