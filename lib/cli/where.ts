/** Shared by the commands: where things are, and an environment's first host (where its lock and record live). */
import { InvalidArgumentError } from 'commander';
import { DeployStop, readStack } from '../deploy/steps';
import { synthOne, type Where } from '../deploy/run';
import { dockerHosts, type StackJson } from '../deploy/stack-json';
import { environmentsDir, outDir, projectRoot } from './paths';

export const where = (): Where => ({ root: projectRoot(), environmentsDir: environmentsDir(), outDir: outDir() });

/** Synthesizes the environment and names its first Docker host. */
export async function firstHost(env: string): Promise<{ host: string; stack: StackJson }> {
  const { stack } = readStack(await synthOne(where(), env));
  const host = dockerHosts(stack)[0]?.host;
  if (!host) throw new DeployStop(`${env} has no Docker host: nothing keeps a lock or a record for it`);
  return { host, stack };
}

/** Parses a positive whole number option (a usage error otherwise). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return n;
}
