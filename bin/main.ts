/**
 * The cdktf app: every environment file in environments/ (or $ENVIRONMENTS_DIR) becomes one
 * stack named after its `name:`. Files with `partial: true` are only used through `extends:`.
 * A user mistake prints `<file>:<line>:<col> <path>: <message>` lines and exits 1 before
 * anything is written.
 */
import { synthEnvironments } from '../lib/app';

process.exitCode = synthEnvironments({
  dir: process.env.ENVIRONMENTS_DIR ?? 'environments',
  outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out',
  only: process.env.STACKYARD_ONLY ? process.env.STACKYARD_ONLY.split(',') : undefined,
  quiet: process.env.STACKYARD_QUIET === '1',
});
