// The focused mutation run (stryker.focused.config.mjs): only the test files named in
// STACKYARD_MUTATION_TESTS (comma-separated), for files that nearly every test covers (the
// configuration loader, the synthesis core), where each mutant would otherwise run the whole fast
// suite (2 mutants a minute on two cores). A mutant those tests miss may be killed by another
// test, so a focused score is a lower bound of the full one (README, "Mutation testing").
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.stryker.config.mts';

const named = (process.env.STACKYARD_MUTATION_TESTS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
if (!named.length) throw new Error('STACKYARD_MUTATION_TESTS names no test file: give the test files, comma-separated');

// mergeConfig would append to the suite's own include list: replaced instead
const config = mergeConfig(base, defineConfig({}));
config.test = { ...config.test, include: named };
export default config;
