/**
 * The pull-request plan comment (lib/plan/summary.ts renderSummary) for a terminal: the same
 * content without Markdown and HTML markup (`stackyard plan <env>`). Control characters were
 * already replaced by renderSummary's escaping; this only removes what Markdown added.
 */
import { COMMENT_MARKER } from './summary';

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&' };

function inline(s: string): string {
  return s
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/(^|[\s(])_(\(?[^_]+?\)?)_(?=$|[\s),.:])/g, '$1$2')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\\([\\`*_[\]|~])/g, '$1')
    .replace(/@\u200b/g, '@')
    .replace(/&(lt|gt|amp);/g, (e) => ENTITIES[e]);
}

export function markdownForTerminal(markdown: string): string {
  const out: string[] = [];
  for (const raw of markdown.split('\n')) {
    if (raw === COMMENT_MARKER) continue;
    let line = raw;
    const summary = /^<details><summary>(.*)<\/summary>$/.exec(line);
    if (summary) {
      out.push(inline(summary[1]), '');
      continue;
    }
    if (line === '</details>') continue;
    if (line === '> [!CAUTION]') {
      out.push('CAUTION');
      continue;
    }
    line = line.replace(/^#{1,6} /, '').replace(/^> ?/, '  ');
    out.push(inline(line));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
