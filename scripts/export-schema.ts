/**
 * Writes environments/schema.json and README's environment-file reference from the zod schema
 * (npm run schema). The YAML files reference the JSON Schema with
 * `# yaml-language-server: $schema=./schema.json` for editor completion and help.
 * test/schema.test.ts fails when either is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { EnvironmentSchema } from '../lib/config/schema';
import { withReference } from '../lib/config/reference';

export function environmentJsonSchema(): string {
  const full = z.toJSONSchema(EnvironmentSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const partial = z.toJSONSchema(EnvironmentSchema.partial(), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete full.$schema;
  delete partial.$schema;
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'stackyard environment file',
    description: 'Generated from lib/config/schema.ts and constructs/*.ts by `npm run schema`; do not edit.',
    if: { properties: { partial: { const: true } }, required: ['partial'] },
    then: partial,
    else: full,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

if (require.main === module) {
  const root = path.join(__dirname, '..', '..');
  const target = path.join(root, 'environments', 'schema.json');
  fs.writeFileSync(target, environmentJsonSchema());
  process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
  const readme = path.join(root, 'README.md');
  fs.writeFileSync(readme, withReference(fs.readFileSync(readme, 'utf8')));
  process.stdout.write(`wrote the environment-file reference in ${path.relative(process.cwd(), readme)}\n`);
}
