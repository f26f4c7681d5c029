/**
 * buildEnvironments: the checks across files, and that every file's mistakes are reported in one
 * run (a tired operator fixes them all at once instead of one file per attempt).
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/config/errors';
import { buildEnvironments } from '../lib/environments';
import { MINIMAL, writeFiles } from './helpers';

/** The problems buildEnvironments throws, as `file:line:col path: message` with the folder left out. */
function problems(files: Record<string, string>): string[] {
  const dir = writeFiles(files);
  try {
    buildEnvironments(Object.keys(files).map((f) => path.join(dir, f)));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  return [];
}

describe('buildEnvironments', () => {
  it('reports the mistakes of every file, not only the first file\'s', () => {
    expect(problems({
      'a.yaml': MINIMAL.replace('port: 8000', 'port: x'),
      'b.yaml': MINIMAL.replace('name: test', 'name: b').replace('kind: postgres', 'kind: postgress'),
    })).toEqual([
      'a.yaml:12:5 services.api.port: expected a number, got "x"',
      'b.yaml:7:9 services.db.kind: unknown kind "postgress"; did you mean `postgres`?',
    ]);
  });

  it('a name used twice is placed at the second file\'s name key (here its last line)', () => {
    const second = `${MINIMAL.replace('name: test\n', '')}name: test\n`;
    const line = second.split('\n').indexOf('name: test') + 1;
    expect(problems({ 'a.yaml': MINIMAL, 'b.yaml': second })).toEqual([
      expect.stringMatching(new RegExp(`^b\\.yaml:${line}:1 name: environment name test is already used by .*a\\.yaml; names must be unique$`)),
    ]);
  });
});
