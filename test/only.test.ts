/** STACKYARD_ONLY=<env> synthesizes the same stack as the full synth, for every bundled environment and example. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../lib/app';
import { environmentFiles } from '../lib/environments';
import { withoutCreationTraces } from '../lib/trace-capture';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '..');
const folders = ['environments', ...fs.readdirSync(path.join(root, 'examples')).map((e) => path.join('examples', e))]
  .filter((d) => fs.existsSync(path.join(root, d)) && fs.statSync(path.join(root, d)).isDirectory());

function synthJson(dir: string, only?: string[]): Record<string, string> {
  const out = tempDir();
  const stacks = withoutCreationTraces(() => {
    const built = buildApp(environmentFiles(path.join(root, dir)), out, only);
    built.app.synth();
    return built.stacks;
  });
  return Object.fromEntries(stacks.map((s) => [s.model.environmentName, fs.readFileSync(path.join(out, 'stacks', s.model.environmentName, 'cdk.tf.json'), 'utf8')]));
}

describe('single-environment synth (STACKYARD_ONLY)', () => {
  for (const dir of folders) {
    it(`${dir}: each environment alone equals its stack in the full synth`, () => {
      const full = synthJson(dir);
      expect(Object.keys(full).length).toBeGreaterThan(0);
      for (const name of Object.keys(full)) {
        const alone = synthJson(dir, [name]);
        expect(Object.keys(alone), name).toEqual([name]);
        expect(alone[name], `${dir}: ${name}`).toBe(full[name]);
      }
    });
  }

  it('staging alone does not copy the repository secret production owns', () => {
    const staging = JSON.parse(synthJson('environments', ['staging']).staging);
    const names = Object.values(staging.resource.github_actions_environment_secret).map((s: any) => s.secret_name);
    expect(names).not.toContain('GHCR_TOKEN');
    expect(staging.variable.GHCR_TOKEN.sensitive).toBe(true);
  });
});
