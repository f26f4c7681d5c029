/** Small value types shared by the model and the targets. */

/** Text that may embed secret values; rendered by each target without the value ever appearing. */
export type TemplatePart = string | { readonly secret: string; readonly encode?: 'url' };
export type Template = readonly TemplatePart[];

/** Where a piece of the model came from, for positioned error messages. */
export interface Origin {
  /** Position of a path below this service in its environment file. */
  locate(subpath?: string): { file: string; line: number; col: number; path: string };
}

/** Parses a Docker-style memory size (512m, 768MB, 3g) into mebibytes. */
export function memoryToMb(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g)i?b?$/i.exec(size.trim());
  if (!m) throw new Error(`not a memory size: ${size}`);
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  return Math.round(unit === 'g' ? n * 1024 : unit === 'm' ? n : n / 1024);
}

/** Parses a duration (10s, 1m30s, 2h, 90d) into seconds. */
export function durationToSeconds(d: string): number {
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    const v = Number(n);
    total += u === 'ms' ? v / 1000 : u === 's' ? v : u === 'm' ? v * 60 : u === 'h' ? v * 3600 : v * 86400;
  }
  return total;
}

/** CPU and memory limits as the Service model takes them, from props that give `memory` as text. */
export function limits(p: { readonly cpus?: number; readonly memory?: string }): { cpus?: number; memoryMb?: number } {
  return { cpus: p.cpus, memoryMb: p.memory ? memoryToMb(p.memory) : undefined };
}

/** Quotes one word for a POSIX shell: safe words stay as they are, anything else goes in single quotes. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A literal string as Terraform's JSON syntax reads it: `${` becomes `$${` and `%{` becomes `%%{`,
 * so no text becomes an expression or a template directive. The synthesizer's own placeholders
 * (`${TfToken[…]}`, `#{TfToken[…]}`, `&{TfToken[…]}`) are broken up with a constant interpolation
 * that evaluates to the same characters, so text that imitates one stays text.
 */
export function terraformLiteral(s: string): string {
  return s.replace(/([$#&])\{(?=TfToken\[)|\$\{|%\{/g, (m, marker?: string) => {
    if (marker) return `${marker === '$' ? '${"$"}' : marker}\${"{"}`;
    return m === '${' ? '$${' : '%%{';
  });
}

/**
 * A name as a Terraform identifier (logical ids, Mermaid and SVG ids): runs of anything but
 * letters and digits become `_`, none at either end. `web-2` → `web_2`.
 */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** A name as part of a DNS label (Kubernetes object and volume names): lower case, runs of anything else `-`, none at either end. */
export function dnsSlug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
