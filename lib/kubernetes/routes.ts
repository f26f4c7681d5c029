/**
 * Traefik rules → Ingress rules. Understands what environment files use: Host(`a`[, `b`]),
 * PathPrefix(`/p`), joined with && and ||, with parentheses. Anything else is an error naming it.
 */
export interface IngressRule {
  readonly host?: string;
  readonly pathPrefix?: string;
}

export function parseRouteRule(rule: string): IngressRule[] {
  const alternatives = splitTop(stripParens(rule.trim()), '||');
  const out: IngressRule[] = [];
  for (const alt of alternatives) {
    const parts = splitTop(stripParens(alt.trim()), '&&').map((p) => stripParens(p.trim()));
    if (parts.length === 1 && splitTop(parts[0], '||').length > 1) {
      out.push(...parseRouteRule(parts[0]));
      continue;
    }
    let hosts: (string | undefined)[] = [undefined];
    let path: string | undefined;
    for (const p of parts) {
      const m = /^(Host|PathPrefix)\((.*)\)$/.exec(p);
      if (!m) throw new Error(`route rule ${JSON.stringify(rule)}: ${JSON.stringify(p)} has no Ingress equivalent (use Host() and PathPrefix())`);
      const args = [...m[2].matchAll(/`([^`]*)`/g)].map((x) => x[1]);
      if (m[1] === 'Host') hosts = args;
      else path = args[0];
    }
    for (const h of hosts) out.push({ host: h, pathPrefix: path });
  }
  return out;
}

function stripParens(s: string): string {
  while (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

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
  return out.map((x) => x.trim()).filter(Boolean);
}
