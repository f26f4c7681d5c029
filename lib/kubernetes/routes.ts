/**
 * Traefik rules → Ingress rules. Understands what environment files use: Host(`a`[, `b`]),
 * PathPrefix(`/p`[, `/q`]), joined with && and ||, with parentheses, in any nesting: the rule is
 * rewritten as alternatives (one Ingress rule each) of at most one host and one path prefix.
 * Anything else is an error naming it.
 */
export interface IngressRule {
  readonly host?: string;
  readonly pathPrefix?: string;
}

/** More alternatives than any real route has: a rule that multiplies out further is refused, not expanded. */
export const MAX_ALTERNATIVES = 100;

/** A rule no Ingress can say: `reason` says why, the message adds the rule. */
export class RouteRuleError extends Error {
  constructor(rule: string, readonly reason: string) {
    super(`route rule ${JSON.stringify(rule)}: ${reason}`);
  }
}

/** The rule's alternatives, in the order they are written. Throws a RouteRuleError naming the part it cannot take. */
export function parseRouteRule(rule: string): IngressRule[] {
  const fail = (why: string): never => {
    throw new RouteRuleError(rule, why);
  };
  const bounded = <T extends { length: number }>(list: T): T =>
    list.length > MAX_ALTERNATIVES ? fail(`it makes ${list.length} Ingress rules (at most ${MAX_ALTERNATIVES}); write fewer alternatives`) : list;
  const parse = (text: string): IngressRule[] => {
    const s = stripParens(text.trim());
    if (s === '') return fail('nothing to match (an empty rule, or a || or && with nothing on one side)');
    const alternatives = splitTop(s, '||');
    if (alternatives.length > 1) return bounded(alternatives.flatMap(parse));
    const parts = splitTop(s, '&&');
    if (parts.length > 1) {
      const each = parts.map(parse);
      // checked before multiplying out: (a || b) && (c || d) && ... doubles with every factor
      bounded({ length: each.reduce((n, p) => n * p.length, 1) });
      return each.reduce((left, right) => left.flatMap((a) => right.map((b) => both(a, b, fail))));
    }
    return matcher(s, fail);
  };
  return parse(rule);
}

/** Host(...) or PathPrefix(...) with backquoted arguments: one alternative per argument. */
function matcher(s: string, fail: (why: string) => never): IngressRule[] {
  const m = /^(Host|PathPrefix)\(\s*(`[^`]*`(?:\s*,\s*`[^`]*`)*)\s*\)$/.exec(s);
  if (!m) return fail(`${JSON.stringify(s)} has no Ingress equivalent (use Host() and PathPrefix())`);
  const args = [...m[2].matchAll(/`([^`]*)`/g)].map((x) => x[1]);
  return args.map((a) => (m[1] === 'Host' ? { host: a } : { pathPrefix: a }));
}

/** One alternative that needs both: an Ingress rule has one host and one path prefix. */
function both(a: IngressRule, b: IngressRule, fail: (why: string) => never): IngressRule {
  for (const key of ['host', 'pathPrefix'] as const) {
    if (a[key] !== undefined && b[key] !== undefined && a[key] !== b[key]) {
      fail(`it asks for ${key === 'host' ? 'two hosts' : 'two path prefixes'} at once (${a[key]} && ${b[key]}), which no request matches; join them with || instead`);
    }
  }
  const host = a.host ?? b.host;
  const pathPrefix = a.pathPrefix ?? b.pathPrefix;
  return { ...(host === undefined ? {} : { host }), ...(pathPrefix === undefined ? {} : { pathPrefix }) };
}

/** `(x)` → `x` while the parentheses are a pair around the whole. */
function stripParens(s: string): string {
  while (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
}

function balanced(s: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const c of s) {
    if (c === '`') quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** `s` split at `op` outside parentheses and backquotes (parse() trims each piece). */
function splitTop(s: string, op: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '`') quoted = !quoted;
    if (quoted) continue;
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth === 0 && s.startsWith(op, i)) {
      out.push(s.slice(start, i));
      start = i + op.length;
      i += op.length - 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
