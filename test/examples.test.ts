/** The examples/ environments synthesize. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp, environmentFiles } from '../lib/app';
import { synth, tempDir } from './helpers';

describe('examples', () => {
  const root = path.resolve(__dirname, '..');
  for (const example of fs.readdirSync(path.join(root, 'examples')).filter((d) => fs.statSync(path.join(root, 'examples', d)).isDirectory())) {
    it(`${example} synthesizes and matches its snapshots`, async () => {
      const { app, stacks } = buildApp(environmentFiles(path.join(root, 'examples', example)), path.join(tempDir(), 'out'));
      app.synth();
      expect(stacks.length).toBeGreaterThan(0);
      for (const s of stacks) {
        const text = fs.readFileSync(path.join(app.outdir, 'stacks', s.environmentName, 'cdk.tf.json'), 'utf8');
        await expect(text).toMatchFileSnapshot(`__snapshots__/examples/${example}/${s.environmentName}.tf.json`);
      }
    });
  }
});
