/** A plan as stackyard reads it: changes per stack, with what they do to data (lib/plan/summary.ts parses them). */

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'forget' | 'no-op' | 'read';

export interface AttributeChange {
  readonly path: string;
  readonly before: string;
  readonly after: string;
  /** This attribute forces the replacement. */
  readonly forcesReplacement: boolean;
}

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action: Action;
  readonly host: string;
  readonly service: string;
  readonly kind?: string;
  readonly attributes: readonly AttributeChange[];
  readonly dataLoss: boolean;
}

export interface StackPlan {
  readonly name: string;
  readonly changes: readonly ResourceChange[];
  /** Shown after the stack's headline, e.g. where the summary comes from. @default - none */
  readonly note?: string;
}
