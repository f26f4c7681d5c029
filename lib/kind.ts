/**
 * What a service kind is: one file in constructs/ holds its zod schema (descriptions and defaults),
 * its checks (positioned problems) and how it builds its construct; constructs/index.ts lists the
 * kinds, and lib/build.ts and lib/config/schema.ts loop over that list. Nothing outside a kind's
 * file branches on its kind string: shared behaviour is keyed on fields (`uses`, `route`, ...)
 * and on capabilities a kind declares (`provides`).
 */
import type { Construct } from 'constructs';
import { z } from 'zod';
import type { Environment } from './environment';
import type { Connectable, Service } from './service';
import type { Origin } from './values';

export type At = readonly (string | number)[];

/** Fields the builder wires from the file by name (construct users call the intent methods instead). */
export const WIRING_KEYS = ['kind', 'host', 'uses', 'after', 'dependsOn', 'tracing', 'mounts'] as const;
type WiringKey = (typeof WIRING_KEYS)[number];

/** Construct props derived from a kind's schema: its input (defaults optional) minus wiring, plus host and origin. */
export type ConstructProps<S extends z.ZodType> = Omit<z.input<S>, WiringKey> & {
  /** Host (Docker) or node pool (Kubernetes) the service runs on. */
  readonly host: string;
  /** Where it came from in an environment file. @default - the construct path */
  readonly origin?: Origin;
};

/** Props with the schema's defaults filled in (the schema is the one place a default lives). */
export type Resolved<S extends z.ZodType> = Omit<z.output<S>, WiringKey> & { readonly host: string; readonly origin?: Origin };

/**
 * Fills in the schema's defaults, top level and inside nested objects: the same values parsing an
 * environment file gives, without validating again (cheap: one pass over the shape).
 */
export function withDefaults<S extends z.ZodObject>(schema: S, props: object): Resolved<S> {
  return fill(schema, props) as Resolved<S>;
}

/** A value with the schema's defaults filled in (no validation). */
export function defaults<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  return fill(schema, value) as z.output<S>;
}

function fill(schema: z.ZodType, value: unknown): unknown {
  let s: z.ZodType = schema;
  let dflt: unknown;
  for (;;) {
    const def = (s as unknown as { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown } }).def;
    if (def.type === 'default') {
      if (dflt === undefined) dflt = def.defaultValue; // zod 4 calls a default's factory when this is read
      s = def.innerType!;
    } else if (def.type === 'optional' || def.type === 'readonly' || def.type === 'nullable') s = def.innerType!;
    else break;
  }
  const v = value === undefined ? dflt : value;
  const def = (s as unknown as { def: { type: string; shape?: Record<string, z.ZodType> } }).def;
  if (def.shape && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, child] of Object.entries(def.shape)) {
      const filled = fill(child, out[k]);
      if (filled !== undefined) out[k] = filled;
    }
    return out;
  }
  return v;
}

/** A service entry as its construct's props: its fields, on the host the builder resolved, located in the file. */
export function entryProps<T extends object>(svc: T, ctx: BuildContext): T & { readonly host: string; readonly origin: Origin } {
  return { ...svc, host: ctx.host, origin: ctx.origin };
}

/** What a service entry became: the construct, what others connect to, and the Services it runs. */
export interface Built {
  readonly construct: Construct;
  readonly connectable: Connectable;
  readonly consumers: readonly Service[];
  /** Wires a `uses:` target into this entry. @default - target.connect(each consumer) */
  use?(target: Connectable): void;
  /** Points a consumer's traces here (kinds that provide `tracing`). */
  trace?(consumer: Service): void;
}

/** Built from one construct with one Service. */
export function single(c: Construct & Connectable): Built {
  return { construct: c, connectable: c, consumers: [c.service] };
}

/** Built from a construct others only start after (healthy when it has a healthcheck). */
export function plain(c: Construct & { readonly service: Service }): Built {
  const connectable: Connectable = { service: c.service, connect: (consumer) => consumer.dependOn(c.service, c.service.healthcheck ? 'healthy' : 'started') };
  return { construct: c, connectable, consumers: [c.service] };
}

/** The parsed environment file as the kinds see it (services loosely typed: a kind reads only its own fields). */
export interface EnvironmentView {
  readonly name: string;
  readonly production: boolean;
  readonly platform: 'docker' | 'kubernetes';
  readonly secrets: readonly string[];
  readonly hosts: Readonly<Record<string, { readonly address?: string; readonly docker: string }>>;
  readonly services: Readonly<Record<string, { readonly kind: string } & Readonly<Record<string, unknown>>>>;
  readonly nfs: Readonly<Record<string, { readonly server: string; readonly path: string; readonly options: string }>>;
  readonly kubernetes?: { readonly clusterIPs: Readonly<Record<string, string>>; readonly readWriteMany: boolean };
}

export interface CheckContext {
  readonly env: EnvironmentView;
  /** The service's name (its key under `services:`). */
  readonly name: string;
  /** Host names (Docker) or node pool names (Kubernetes). */
  readonly placements: readonly string[];
  /** What a placement is called in messages: host or node pool. */
  readonly placementWord: string;
  /** Reports a problem at a path below this service's entry. */
  report(at: At, message: string): void;
  /** The service entry of that name, never something inherited from Object.prototype. */
  service(name: string): ({ readonly kind: string } & Readonly<Record<string, unknown>>) | undefined;
  /** True when that service's kind declares the capability. */
  provides(name: string, capability: Capability): boolean;
  /** `unknown <what> "x"; did you mean "y"?` */
  unknown(what: string, name: string, known: readonly string[]): string;
}

export interface BuildContext {
  readonly environment: Environment;
  readonly name: string;
  /** The resolved host ('' for kinds placed by other fields). */
  readonly host: string;
  readonly origin: Origin;
  readonly release?: { readonly tag: string; readonly images: readonly string[] };
  /** The parsed environment file. */
  readonly env: EnvironmentView;
  /** An entry built before this one (lower rank). */
  built(name: string): Built | undefined;
}

export interface WireContext {
  readonly environment: Environment;
  readonly env: EnvironmentView;
  built(name: string): Built;
}

/** What a kind offers others, so shared code asks for a capability instead of a kind name. */
export type Capability = 'tracing' | 'nfs' | 'postgres' | 'celery-broker';

export interface Kind<K extends string = string, S extends z.ZodObject = z.ZodObject> {
  readonly kind: K;
  readonly schema: S;
  /** Build order: lower first (the proxy before routed services, databases before their backups). @default 2 */
  readonly rank?: number;
  /** @default [] */
  readonly provides?: readonly Capability[];
  /**
   * Its containers keep data that a replacement or removal loses: plans warn about data loss, and
   * the Services it builds say `stateful` (test/kinds.test.ts holds the two together). @default false
   */
  readonly stateful?: boolean;
  /** Names the kind had in earlier releases, as containers deployed then are still labelled. @default [] */
  readonly formerNames?: readonly string[];
  /** Problems in the entry, with positions, before anything is built. */
  check?(svc: z.output<S>, ctx: CheckContext): void;
  /** Problems of the whole file this kind owns (e.g. the top-level `nfs:` of the nfs-server kind), run once per environment. */
  checkEnvironment?(env: EnvironmentView, report: (at: At, message: string) => void, ctx: Omit<CheckContext, 'name' | 'report'>): void;
  build(svc: z.output<S>, ctx: BuildContext): Built;
  /** Wiring that names other services, once everything is built. */
  wire?(svc: z.output<S>, self: Built, ctx: WireContext): void;
  /** Environment-level wiring this kind owns, once per environment after every entry's wire(). */
  wireEnvironment?(ctx: WireContext): void;
}

/** Declares a kind (keeps its literal and schema types). */
export function defineKind<K extends string, S extends z.ZodObject>(k: Kind<K, S>): Kind<K, S> {
  return k;
}
