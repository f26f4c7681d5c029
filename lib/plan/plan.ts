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
  /**
   * What a resource that is no service's container is called on its host: an image's reference
   * (`postgres:17`), a network's or volume's name. The address (`docker_image.image_core_postgres_17`)
   * is stackyard's internal id for it. @default - none (containers, GitHub resources)
   */
  readonly name?: string;
  readonly attributes: readonly AttributeChange[];
  readonly dataLoss: boolean;
}

export interface StackPlan {
  readonly name: string;
  readonly changes: readonly ResourceChange[];
  /** Shown after the stack's headline, e.g. where the summary comes from. @default - none */
  readonly note?: string;
}
