/**
 * The validation pipeline. An environment file is checked once, by named rules, in this order,
 * each reporting positioned findings (`file:line:col path: message`):
 *
 *   1. schema  (lib/config/load.ts)  YAML syntax, unknown keys, types, patterns, defaults (zod)
 *              and across the files of a synth (lib/app.ts): unique names, one owner per GitHub
 *              environment and repository secret
 *   2. file    (FILE_RULES, lib/file-rules.ts)  the parsed file, before anything is built: each kind's
 *              own checks, placement, references between entries, literal secrets, sections
 *   3. model   (MODEL_RULES, lib/invariants.ts)  the built model, the same for constructs used
 *              from code: what wiring found, names, hosts, secrets, tags, dependencies, ports
 *
 * A stage runs only when the one before found no error (a model is built from a valid file
 * only). An error stops the synth and nothing is written; a warning (legal but suspicious, e.g. a
 * key that mentions a secret word and holds a value) is printed and the synth goes on.
 */
import type { Position, Problem } from './config/errors';

export type Severity = 'error' | 'warning';

/** A problem a rule found, with the rule's name and how serious it is. */
export interface Finding extends Problem {
  readonly rule: string;
  readonly severity: Severity;
}

/** One named check: `check` reports what it finds at a place of its context (`W`: a YAML path, a located problem). */
export interface Rule<C, W> {
  readonly name: string;
  /** What it checks, one line (README's validation order lists it). */
  readonly what: string;
  check(ctx: C, report: (where: W, message: string, severity?: Severity) => void): void;
}

/** Runs the rules in order; `locate` turns a rule's place into a position and path. */
export function runRules<C, W>(rules: readonly Rule<C, W>[], ctx: C, locate: (where: W) => Position & { readonly path: string }): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    rule.check(ctx, (where, message, severity = 'error') => out.push({ ...locate(where), message, rule: rule.name, severity }));
  }
  return out;
}

export const errorsOf = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.severity === 'error');
export const warningsOf = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.severity === 'warning');

/** A warning as the CLI prints it: `file:line:col path: warning: message`. */
export function formatWarning(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where} ${p.path}: warning: ${p.message}` : `${where} warning: ${p.message}`;
}
