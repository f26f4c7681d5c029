/**
 * The fleet suite's global setup: one fresh fleet (scripts/fleet.sh, seed 003's images included)
 * for every file, brought down at the end (STACKYARD_FLEET_KEEP=1 keeps it; STACKYARD_FLEET_REUSE=1
 * uses a running one as it is). Each file removes its own environment when it ends (`stackyard
 * down`), so the files do not depend on their order.
 */
import * as path from 'node:path';
import { fleetCommand, fleetCommandAsync, ROOT } from './fleet';
import { reporter } from '../e2e/shared';

export default function setup(): () => Promise<void> {
  const report = reporter(path.join(ROOT, '.stackyard', 'fleet-report.json'), 'fleet report');
  const t0 = Date.now();
  // a fresh fleet every run: whatever an interrupted run left goes first
  if (process.env.STACKYARD_FLEET_REUSE !== '1') fleetCommand('down');
  fleetCommand('up');
  report('fleet up seconds (in the suite)', Math.round((Date.now() - t0) / 100) / 10);
  return async () => {
    if (process.env.STACKYARD_FLEET_KEEP !== '1') {
      const t1 = Date.now();
      await fleetCommandAsync('down');
      report('fleet down seconds (in the suite)', Math.round((Date.now() - t1) / 100) / 10);
    }
  };
}
