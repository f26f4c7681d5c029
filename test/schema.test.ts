import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { environmentJsonSchema } from '../scripts/export-schema';

const envDir = path.resolve(__dirname, '..', 'environments');

it('environments/schema.json is current (run `npm run schema` after changing lib/config/schema.ts)', () => {
  expect(fs.readFileSync(path.join(envDir, 'schema.json'), 'utf8')).toBe(environmentJsonSchema());
});

it('every environment file points editors at the schema', () => {
  for (const f of fs.readdirSync(envDir).filter((f) => f.endsWith('.yaml'))) {
    expect(fs.readFileSync(path.join(envDir, f), 'utf8').split('\n')[0], f).toBe('# yaml-language-server: $schema=./schema.json');
  }
});
