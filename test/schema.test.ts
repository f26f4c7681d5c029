import * as fs from 'node:fs';
import * as os from 'node:os';
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

it("README's environment-file reference is current (generated from the same schema by `npm run schema`)", async () => {
  const { withReference } = await import('../lib/config/reference');
  const readme = fs.readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');
  expect(withReference(readme) === readme, 'run `npm run schema`').toBe(true);
});

it('the reference goes between its markers only; a README without them, or with them in the wrong order, is an error', async () => {
  const { withReference, REFERENCE_START, REFERENCE_END, environmentReference } = await import('../lib/config/reference');
  expect(withReference(`before\n${REFERENCE_START}\nold\n${REFERENCE_END}\nafter\n`)).toBe(`before\n${REFERENCE_START}\n\n${environmentReference()}\n${REFERENCE_END}\nafter\n`);
  expect(withReference(`${REFERENCE_START}${REFERENCE_END}`)).toBe(`${REFERENCE_START}\n\n${environmentReference()}\n${REFERENCE_END}`); // a start at offset 0 is a start
  const missing = /README\.md has no .* section/;
  expect(() => withReference('no markers')).toThrow(missing);
  expect(() => withReference(`${REFERENCE_START}\nno end`)).toThrow(missing);
  expect(() => withReference(`${REFERENCE_END}\n${REFERENCE_START}\n`)).toThrow(missing);
  expect(() => withReference(`no start\n${REFERENCE_END}`)).toThrow(missing);
});

it('every key of schema.json carries a description (editors show it), and defaults are given as defaults', () => {
  const missing: string[] = [];
  let keys = 0;
  const walk = (s: any, at: string): void => {
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries<any>(s.properties ?? {})) {
      keys++;
      if (typeof v.description !== 'string' || v.description.length < 3) missing.push(`${at}.${k}`);
      walk(v, `${at}.${k}`);
    }
    for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) walk(alt, at);
    if (s.items) walk(s.items, `${at}[]`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}.*`);
  };
  const doc = JSON.parse(fs.readFileSync(path.join(envDir, 'schema.json'), 'utf8'));
  walk(doc.else, '');
  expect(missing).toEqual([]);
  expect(keys).toBeGreaterThan(300);
  // a default reaches the editor as a JSON Schema default, e.g. web replicas
  const web = doc.else.properties.services.additionalProperties.oneOf.find((k: any) => k.properties.kind.const === 'web');
  expect(web.properties.replicas.default).toBe(2);
});

// Under Stryker (npm run test:mutation) the kind files are its instrumented copies, every string
// wrapped in a mutant switch, which this text-level generator cannot read; and no mutant shows in
// the text, so the test could kill none there.
const instrumented = '__stryker__' in globalThis;

it.skipIf(instrumented)('constructs/index.ts lists every kind file of constructs/ (run `npm run schema` after adding one)', async () => {
  const { kindsIndexSource } = await import('../scripts/export-schema');
  const dir = path.join(__dirname, '..', 'constructs');
  expect(fs.readFileSync(path.join(dir, 'index.ts'), 'utf8')).toBe(kindsIndexSource(dir).index);
  expect(fs.readFileSync(path.join(dir, 'kind-names.ts'), 'utf8')).toBe(kindsIndexSource(dir).names);
  // a new kind file is picked up, with nothing else to edit
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stackyard-kinds-'));
  for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(tmp, f));
  fs.writeFileSync(path.join(tmp, 'aaa-store.ts'), "export const aaaStoreKind = defineKind({ kind: 'aaa-store' });\n");
  fs.writeFileSync(path.join(tmp, 'helpers.ts'), 'export const notAKind = 1;\n');
  const next = kindsIndexSource(tmp).index;
  expect(kindsIndexSource(tmp).names).toContain("  | 'aaa-store'\n");
  expect(next).toContain("import { aaaStoreKind } from './aaa-store';");
  expect(next.split('export const KINDS = [')[1]).toMatch(/^\n {2}aaaStoreKind,\n {2}adminerKind,/);
  expect(next).not.toContain('helpers');
});

it("README's validation order is current (generated from the rules by `npm run schema`)", async () => {
  const { withValidationOrder, validationOrder } = await import('../scripts/export-schema');
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  expect(withValidationOrder(readme) === readme, 'run `npm run schema`').toBe(true);
  expect(validationOrder()).toMatch(/`platform`[\s\S]*`literal-secrets`[\s\S]*3\. \*\*model rules\*\*[\s\S]*`wiring`[\s\S]*`dependency-cycles`/);
});
