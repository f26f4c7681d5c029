/** Where the command finds things: the project root (the working directory), and its folders. */
import * as path from 'node:path';

export const projectRoot = (): string => process.cwd();
export const environmentsDir = (): string => process.env.ENVIRONMENTS_DIR ?? 'environments';
export const outDir = (): string => process.env.CDKTF_OUTDIR ?? 'cdktf.out';
export const stackDir = (env: string): string => path.resolve(projectRoot(), outDir(), 'stacks', env);
