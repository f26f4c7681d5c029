/**
 * The kinds by name, for code that meets a kind only as text: an environment file's `kind:`, or
 * the `stackyard.kind` label of a container in a plan. What it asks is what the kind declares
 * (constructs/<kind>.ts), never a name it knows.
 */
import { KINDS } from '../constructs/index';
import type { Kind } from './kind';

const BY_NAME: ReadonlyMap<string, Kind> = new Map(KINDS.flatMap((k) => [k.kind, ...(k.formerNames ?? [])].map((n) => [n, k as unknown as Kind] as const)));

/** The kind of that name (or a name it had in an earlier release), or undefined. */
export function kindNamed(name: string): Kind | undefined {
  return BY_NAME.get(name);
}

/** Every kind, in registry order. */
export const ALL_KINDS: readonly Kind[] = KINDS as unknown as readonly Kind[];

/**
 * Whether containers labelled with this kind keep data a replacement or removal loses (the
 * kind's `stateful`): plans warn about data loss for them.
 */
export function isStatefulKind(label: string | undefined): boolean {
  return label !== undefined && kindNamed(label)?.stateful === true;
}
