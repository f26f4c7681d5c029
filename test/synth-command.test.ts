/**
 * What `stackyard synth` (synthEnvironments) prints and returns: the summary on stdout unless
 * quiet, every problem on stderr with a count and nothing written (exit 1), and anything else an
 * internal error with its stack (exit 70). The CLI tests spawn the built command and so cannot
 * tell a mutant here from the original; these call it in process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { synthEnvironments } from '../lib/app';
import { captureOutput, MINIMAL, writeFiles } from './helpers';

afterEach(() => vi.restoreAllMocks());

describe('synthEnvironments', () => {
  it('prints the summary, a line at a time, on stdout by default, and nothing with quiet', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL });
    const io = captureOutput();
    expect(synthEnvironments({ dir, outdir: path.join(dir, 'out') })).toBe(0);
    expect(io.out.split('\n')).toEqual([expect.stringMatching(/^stack +hosts +size +services × replicas$/), expect.stringMatching(/^-+ +-+/), 'test   main   3 services / 4 containers  api×2 db proxy', '']);
    expect(io.err).toBe('');
    io.out = '';
    expect(synthEnvironments({ dir, outdir: path.join(dir, 'out'), quiet: true })).toBe(0);
    expect(io.out).toBe('');
    expect(fs.existsSync(path.join(dir, 'out', 'stacks', 'test', 'cdk.tf.json'))).toBe(true);
  });

  it('a mistake: every problem positioned on stderr, then the count; exit 1 and nothing synthesized', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL.replace('port: 8000', 'port: eighty').replace('kind: postgres', 'kind: postgress') });
    const io = captureOutput();
    expect(synthEnvironments({ dir, outdir: path.join(dir, 'out') })).toBe(1);
    expect(io.err.split('\n')).toEqual([
      `${dir}/env.yaml:7:9 services.db.kind: unknown kind "postgress"; did you mean \`postgres\`?`,
      `${dir}/env.yaml:12:5 services.api.port: expected a number, got "eighty"`,
      '', '2 problem(s) found; nothing was synthesized.', '',
    ]);
    expect(io.out).toBe('');
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('anything else is an internal error to report: exit 70, with the stack', () => {
    const dir = writeFiles({ 'env.yaml': MINIMAL, 'taken': 'a file where the output folder should go' });
    const err: string[] = [];
    expect(synthEnvironments({ dir, outdir: path.join(dir, 'taken'), err: (l) => err.push(l) })).toBe(70);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^stackyard: internal error \(please report it\): Error: .*\n +at /);
  });
});
