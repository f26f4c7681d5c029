/**
 * The deploy's steps (lib/deploy/steps.ts) around the decisions tested in test/deploy-safety.test.ts:
 * `down` reads its flags and refuses without a terminal to ask on, keeps the GitHub resources unless
 * told, and a folder without a synthesized stack stops the deploy naming the folder.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { confirmDown, DeployStop, readStack } from '../lib/deploy/steps';
import { MINIMAL, tempDir, writeFiles } from './helpers';

function stackDir(env: string): string {
  const root = writeFiles({ 'environments/test.yaml': env });
  buildApp([path.join(root, 'environments', 'test.yaml')], path.join(root, 'cdktf.out')).app.synth();
  return path.join(root, 'cdktf.out', 'stacks', 'test');
}
const stopped = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof DeployStop) return e.message;
    throw e;
  }
  return 'went on';
};

describe('the deploy\'s steps', () => {
  it('down: goes on for a staging stack, refuses to delete data volumes or destroy production without a terminal unless --yes', () => {
    // vitest's stdin is no terminal: nobody can be asked
    const staging = stackDir(MINIMAL);
    expect(confirmDown(staging, [])).toEqual([]);
    expect(stopped(() => confirmDown(staging, ['--volumes']))).toMatch(/^refusing to destroy every data volume of test .*without confirmation: no terminal to ask on\. Pass --yes/);
    expect(confirmDown(staging, ['--volumes', '--yes'])).toEqual([]);
    const production = stackDir(MINIMAL.replace('name: test', 'name: test\nproduction: true'));
    expect(stopped(() => confirmDown(production, []))).toMatch(/without confirmation: no terminal to ask on/);
    expect(confirmDown(production, ['--yes'])).toEqual([]);
  });

  it('down keeps the GitHub environment and its secrets unless --github', () => {
    const dir = stackDir(MINIMAL + 'github: { owner: acme, repository: app }\n');
    const kept = confirmDown(dir, []);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((a) => /^-exclude=github_[a-z_]+\.[A-Za-z0-9_]+$/.test(a))).toBe(true);
    expect(stopped(() => confirmDown(dir, ['--github']))).toMatch(/^refusing to destroy .*GitHub.* without confirmation/);
    expect(confirmDown(dir, ['--github', '--yes'])).toEqual([]);
  });

  it('a folder without a synthesized stack stops the deploy, naming the folder', () => {
    const dir = tempDir();
    expect(stopped(() => readStack(dir))).toBe(`no synthesized stack in ${dir}`);
  });
});
