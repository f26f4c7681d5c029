/**
 * lib/deploy/engine.ts runEngine, with `sh` standing in for the engine: a `-json` run's events go
 * to the progress, its other output lines (plain text on stderr) to `print` when one is given
 * (a live progress view draws them above itself), else to standard output; the tail keeps both.
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type Engine } from '../lib/deploy/engine';
import type { EngineEvent } from '../lib/deploy/progress';

const sh: Engine = { bin: 'sh', env: { PATH: process.env.PATH } };
const script = [
  `echo '{"type":"apply_start","@message":"docker_container.svc_a_1: Creating...","hook":{"resource":{"addr":"docker_container.svc_a_1"},"action":"create"}}'`,
  'echo "plain text from the engine" >&2',
  'echo "   " >&2',
  'exit 3',
].join('\n');

describe('runEngine', () => {
  it('sends events to onEvent and shown plain lines to print; status and tail as the engine left them', async () => {
    const events: EngineEvent[] = [];
    const printed: string[] = [];
    const r = await runEngine(sh, ['-c', script], { cwd: process.cwd(), onEvent: (e) => events.push(e), show: (l) => l.trim() !== '', print: (l) => printed.push(l) });
    expect(r.status).toBe(3);
    expect(events.map((e) => e.type)).toEqual(['apply_start']);
    expect(printed).toEqual(['plain text from the engine']);
    expect(r.tail).toEqual(['docker_container.svc_a_1: Creating...', 'plain text from the engine', '   ']);
  });

  it('gives the engine the secret values in its environment only', async () => {
    const r = await runEngine(sh, ['-c', 'echo "$TF_VAR_X"'], { cwd: process.cwd(), vars: new Map([['TF_VAR_X', 'value-1']]) });
    expect(r.tail).toEqual(['value-1']);
    expect(process.env.TF_VAR_X).toBeUndefined();
  });
});
