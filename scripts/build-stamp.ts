/** Run by `npm run build` after tsc: records the source hash the build compiled, and makes the command executable (lib/cli/freshness.ts). */
import * as path from 'node:path';
import { recordBuild, sourceHash } from '../lib/cli/freshness';

const root = path.resolve(__dirname, '..', '..');
recordBuild(root, sourceHash(root));
