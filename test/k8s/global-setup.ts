/**
 * `npm run test:k8s` around all its files: the node is brought up once before them and down after
 * them, passed or failed, so the host keeps nothing of it (processes, mounts, the bridge, iptables
 * chains: `k8s-cluster.sh down` fails naming whatever is left). STACKYARD_K8S_KEEP=1 leaves it up
 * for a look or a second run (`npm run k8s -- down` afterwards).
 */
import { clusterDown, clusterUp } from '../../scripts/lib/k8s-node';

export function setup(): () => void {
  try {
    clusterUp();
  } catch (e) {
    clusterDown(); // a half-started node is taken down before the error is reported
    throw e;
  }
  return () => {
    if (process.env.STACKYARD_K8S_KEEP === '1') {
      console.log('test:k8s: STACKYARD_K8S_KEEP=1, the node stays up (npm run k8s -- down)');
      return;
    }
    clusterDown();
  };
}
