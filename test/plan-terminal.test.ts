/**
 * The plan comment for a terminal (lib/plan/terminal.ts): each Markdown or HTML device the
 * comment uses, and only those, removed; the text between kept as it was.
 */
import { describe, expect, it } from 'vitest';
import { COMMENT_MARKER } from '../lib/plan/summary';
import { markdownForTerminal } from '../lib/plan/terminal';

describe('the plan comment for a terminal', () => {
  it('drops the marker, the details wrappers and the caution tag; a summary becomes a line and a blank', () => {
    const md = [COMMENT_MARKER, '## prod: 1 to add', '<details><summary>**core** / `db`</summary>', '', 'body', '</details>', '> [!CAUTION]', '> data is lost'].join('\n');
    expect(markdownForTerminal(md)).toBe(['prod: 1 to add', 'core / db', '', 'body', 'CAUTION', '  data is lost'].join('\n') + '\n');
  });

  it('headings lose one to six #, a quote its > (with or without a space); a # inside a line stays', () => {
    expect(markdownForTerminal('# a\n###### b\n####### c\n>d\n> e\nx # y')).toBe('a\nb\n####### c\n  d\n  e\nx # y\n');
    // only a > that starts the line quotes it; a summary tag only when it is the whole line
    expect(markdownForTerminal('cpus 1 -> 2 > 1')).toBe('cpus 1 -> 2 > 1\n');
    expect(markdownForTerminal('see <details><summary>x</summary>\n<details><summary>y</summary> more')).toBe('see <details><summary>x</summary>\n<details><summary>y</summary> more\n');
  });

  it('bold, code and emphasis lose their marks; emphasis only as a word, not inside snake_case names', () => {
    expect(markdownForTerminal('**bold** and `code` and _soft_ (_paren_) end _x_.')).toBe('bold and code and soft (paren) end x.\n');
    expect(markdownForTerminal('max_retry_count and a_b_c stay')).toBe('max_retry_count and a_b_c stay\n');
    expect(markdownForTerminal('_(none)_')).toBe('(none)\n');
  });

  it('escapes and entities go back to the characters; a mention breaker is removed', () => {
    expect(markdownForTerminal('a\\*b\\_c\\`d\\[e\\]f\\|g\\~h\\\\i')).toBe('a*b_c`d[e]f|g~h\\i\n');
    expect(markdownForTerminal('&lt;x&gt; &amp;lt; &quot;')).toBe('<x> &lt; &quot;\n');
    expect(markdownForTerminal('by @\u200bsomeone')).toBe('by @someone\n');
  });

  it('three or more newlines become one blank line; leading and trailing blank lines go; one newline at the end', () => {
    expect(markdownForTerminal('\n\na\n\n\n\nb\n\n')).toBe('a\n\nb\n');
    expect(markdownForTerminal('a\n\nb')).toBe('a\n\nb\n');
  });
});
