/**
 * withDefaults / defaults (lib/kind.ts): the defaults a construct built from code gets, read from
 * its kind's zod schema without validating. zod's own parse is the oracle: for valid input the
 * filled props equal what the schema parses, key for key (no key zod leaves out appears).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaults, withDefaults } from '../lib/kind';

const agree = (schema: z.ZodObject, input: Record<string, unknown>) => {
  const filled = withDefaults(schema, input) as Record<string, unknown>;
  const parsed = schema.parse(input) as Record<string, unknown>;
  expect(filled).toStrictEqual(parsed);
  expect(Object.keys(filled).sort()).toEqual(Object.keys(parsed).sort());
};

describe('defaults of a kind\'s schema, as zod would give them', () => {
  const schema = z.strictObject({
    image: z.string(),
    replicas: z.number().default(2),
    tag: z.string().optional(),
    labels: z.record(z.string(), z.string()).default({}),
    resources: z.strictObject({ cpus: z.number().optional(), memory: z.string().default('512m') }).default({ memory: '512m' }),
    health: z.strictObject({ path: z.string(), interval: z.string().default('10s') }).optional(),
    outer: z.number().default(1).default(2),
    maybe: z.strictObject({ a: z.number().default(1) }).nullable(),
    kept: z.array(z.string()).default(() => ['x']),
    wrapped: z.number().default(7).optional(),
    frozen: z.strictObject({ b: z.string().default('b') }).default({ b: 'b' }).readonly(),
    nullish: z.number().nullable().default(1),
  });

  it('absent fields take their default (the outer of two, a factory\'s value); absent optional ones stay absent', () => {
    agree(schema, { image: 'x', maybe: null });
  });

  it('given fields are kept, defaults filled inside given objects, null kept as null', () => {
    agree(schema, { image: 'x', replicas: 5, tag: 't', resources: { cpus: 1 }, health: { path: '/h' }, maybe: { }, labels: { a: 'b' }, wrapped: 3, frozen: {}, nullish: null });
  });

  it('defaults() fills a single object schema the same way', () => {
    const h = z.strictObject({ test: z.string(), retries: z.number().default(5) });
    expect(defaults(h, { test: 'x' })).toStrictEqual({ test: 'x', retries: 5 });
  });
});
