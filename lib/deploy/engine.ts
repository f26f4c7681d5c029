/**
 * The Terraform engine a deploy runs: OpenTofu from scripts/engine.sh (.tools/bin, providers
 * from the local mirror), or the user's own with STACKYARD_USE_OWN_ENGINE=1 and
 * TERRAFORM_BINARY_NAME. Runs it directly (no cdktf CLI on the deploy path), with secret values
 * only in the child's environment (TF_VAR_*), never on a command line or in what is printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eventText, parseEvent, type EngineEvent } from './progress';
import { DeployStop } from './steps';
import { prependPath } from '../ops/docker';

export interface Engine {
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;
}

function onPath(bin: string, env: NodeJS.ProcessEnv): boolean {
  if (bin.includes('/')) return fs.existsSync(bin);
  return (env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)));
}

export function resolveEngine(root: string, base: NodeJS.ProcessEnv = process.env): Engine {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  const own = base.TERRAFORM_BINARY_NAME ?? 'terraform';
  if (base.STACKYARD_USE_OWN_ENGINE && onPath(own, env)) return { bin: own, env };
  const tools = base.STACKYARD_TOOLS ?? path.join(root, '.tools');
  const r = spawnSync('bash', [path.join(root, 'scripts', 'engine.sh')], { stdio: ['ignore', 'ignore', 'pipe'], env: base, encoding: 'utf8' });
  if (r.status !== 0) throw new DeployStop('engine installation failed; run npm run engine to see why');
  return {
    bin: 'tofu',
    env: { ...env, PATH: prependPath(path.join(tools, 'bin'), base.PATH), TF_CLI_CONFIG_FILE: path.join(tools, 'tofurc'), TERRAFORM_BINARY_NAME: 'tofu' },
  };
}

export interface EngineRun {
  readonly status: number;
  /** The last lines of its output (stdout and stderr), to match errors and show on failure. */
  readonly tail: string[];
  readonly stdout: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** TF_VAR_* values: given to the engine's environment only. */
  readonly vars?: ReadonlyMap<string, string>;
  /** Print each output line that passes (default: print nothing). */
  readonly show?: (line: string) => boolean;
  /** Where a shown line goes (default: standard output as it is); a live progress view draws it above itself. */
  readonly print?: (line: string) => void;
  /** Keep the whole stdout (state pull, state list). */
  readonly keepStdout?: boolean;
  /**
   * Machine-readable output (`-json`): each event goes here, and the tail keeps its text (the
   * message, a diagnostic in full) as the plain output would say it. Lines that are no event
   * (stderr) go through `show` as usual.
   */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Appends every raw output line here (STACKYARD_ENGINE_LOG: the engine's events, for a bug report). */
  readonly rawLog?: string;
}

const TAIL = 60;

/** Runs the engine; its output streams through `show` while it runs. */
export function runEngine(engine: Engine, args: readonly string[], opts: RunOptions): Promise<EngineRun> {
  return new Promise((resolve) => {
    const env = { ...engine.env };
    for (const [k, v] of opts.vars ?? []) env[k] = v;
    const child = spawn(engine.bin, [...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const chunks: Buffer[] = [];
    const lineOf = (partial: { s: string }, data: Buffer) => {
      partial.s += data.toString('utf8');
      const lines = partial.s.split('\n');
      partial.s = lines.pop()!; // split gives at least one element
      for (const l of lines) take(l);
    };
    const keep = (l: string) => {
      tail.push(l);
      if (tail.length > TAIL) tail.shift();
    };
    const take = (l: string) => {
      if (opts.rawLog) fs.appendFileSync(opts.rawLog, l + '\n');
      const event = opts.onEvent ? parseEvent(l) : undefined;
      if (event) {
        for (const t of eventText(event)) keep(t);
        opts.onEvent!(event);
        return;
      }
      keep(l);
      if (opts.show?.(l)) {
        if (opts.print) opts.print(l);
        else process.stdout.write(l + '\n');
      }
    };
    const out = { s: '' };
    const err = { s: '' };
    child.stdout.on('data', (d: Buffer) => {
      if (opts.keepStdout) chunks.push(d);
      else lineOf(out, d);
    });
    child.stderr.on('data', (d: Buffer) => lineOf(err, d));
    child.on('error', (e) => {
      tail.push(`${engine.bin}: ${e.message}`);
      resolve({ status: 127, tail, stdout: '' });
    });
    child.on('close', (code) => {
      if (out.s) take(out.s);
      if (err.s) take(err.s);
      resolve({ status: code ?? 1, tail, stdout: Buffer.concat(chunks).toString('utf8') });
    });
  });
}
