#!/usr/bin/env node
/**
 * The `stackyard` command (package.json `bin`): compiled JavaScript, run by plain node. When the
 * TypeScript sources changed since the last build (lib/cli/freshness.ts), it rebuilds first and
 * runs the new build; otherwise nothing is compiled (STACKYARD_SKIP_BUILD=1 never builds).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { isStale, recordBuild } from '../lib/cli/freshness';

const root = path.resolve(__dirname, '..', '..');

function rebuildIfStale(): number | undefined {
  if (process.env.STACKYARD_SKIP_BUILD || process.env.STACKYARD_FRESH) return undefined;
  const { stale, hash } = isStale(root);
  if (!stale || !hash) return undefined;
  process.stderr.write('stackyard: TypeScript sources changed since the last build; compiling (tsc)\n');
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    process.stderr.write('stackyard: the build failed (above); nothing was run\n');
    return 1;
  }
  recordBuild(root, hash);
  const again = spawnSync(process.execPath, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, STACKYARD_FRESH: '1' } });
  return again.status ?? 1;
}

// a reader that stops early (`stackyard synth --help | head -3`) is no error: end quietly, no stack trace
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

const rebuilt = rebuildIfStale();
if (rebuilt !== undefined) process.exitCode = rebuilt;
else {
  // loaded only now: the program pulls in cdktf and the providers
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main } = require('../lib/cli/program') as typeof import('../lib/cli/program');
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
