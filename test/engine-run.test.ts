/**
 * lib/deploy/engine.ts runEngine, with `sh` standing in for the engine: a `-json` run's events go
 * to the progress, its other output lines (plain text on stderr) to `print` when one is given
 * (a live progress view draws them above itself), else to standard output; the tail keeps both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveEngine, runEngine, type Engine } from '../lib/deploy/engine';
import type { EngineEvent } from '../lib/deploy/progress';
import { DeployStop } from '../lib/deploy/steps';
import { captureOutput, tempDir, writeFiles } from './helpers';

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

  it('keeps the last 60 lines as the tail, and a last line without a newline from either stream', async () => {
    const r = await runEngine(sh, ['-c', 'i=1; while [ $i -le 70 ]; do echo "line $i"; i=$((i+1)); done; printf "err end" >&2'], { cwd: process.cwd() });
    expect(r.tail).toHaveLength(60);
    expect(r.tail[0]).toBe('line 12');
    expect(r.tail.slice(-2)).toEqual(['line 70', 'err end']);
    const out = await runEngine(sh, ['-c', 'printf "out end"'], { cwd: process.cwd() });
    expect(out.tail).toEqual(['out end']);
  });

  it('keeps the whole standard output when asked (state pull), outside the tail', async () => {
    const r = await runEngine(sh, ['-c', 'echo one; echo two; echo bad >&2'], { cwd: process.cwd(), keepStdout: true });
    expect(r.stdout).toBe('one\ntwo\n');
    expect(r.tail).toEqual(['bad']);
    expect((await runEngine(sh, ['-c', 'echo one'], { cwd: process.cwd() })).stdout).toBe('');
  });

  it('appends every raw line, events included, to the engine log', async () => {
    const log = path.join(tempDir(), 'engine.log');
    fs.writeFileSync(log, 'earlier\n');
    await runEngine(sh, ['-c', script], { cwd: process.cwd(), rawLog: log, onEvent: () => undefined });
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    expect(lines[0]).toBe('earlier');
    expect(lines[1]).toMatch(/^\{"type":"apply_start"/);
    expect(lines.slice(2)).toEqual(['plain text from the engine', '   ', '']);
  });

  it('prints a shown line to standard output without print, and no line that is not shown', async () => {
    const io = captureOutput();
    await runEngine(sh, ['-c', 'echo shown; echo hidden'], { cwd: process.cwd(), show: (l) => l === 'shown' });
    await runEngine(sh, ['-c', 'echo never'], { cwd: process.cwd() });
    vi.restoreAllMocks();
    expect(io.out).toBe('shown\n');
  });

  it('an engine that cannot start is status 127, saying why', async () => {
    const r = await runEngine({ bin: '/nonexistent/tofu', env: {} }, ['plan'], { cwd: process.cwd() });
    expect(r).toEqual({ status: 127, tail: [expect.stringMatching(/^\/nonexistent\/tofu: spawn \/nonexistent\/tofu ENOENT/)], stdout: '' });
  });

  it('the engine gets no standard input, so nothing it asks can hang the deploy; no variable unless given', async () => {
    const r = await runEngine(sh, ['-c', 'cat; echo "done:${S-unset}"'], { cwd: process.cwd() });
    expect(r.tail).toEqual(['done:unset']);
  }, 10_000);

  it('runs in the folder given', async () => {
    const d = tempDir();
    expect((await runEngine(sh, ['-c', 'pwd -P'], { cwd: d })).tail).toEqual([fs.realpathSync(d)]);
  });
});

describe('resolveEngine', () => {
  afterEach(() => vi.restoreAllMocks());
  // a checkout whose scripts/engine.sh records that it ran, and fails when asked to
  const checkout = (fail = false) => {
    const root = writeFiles({ 'scripts/engine.sh': `echo ran >> "${'$'}{0%/*}/ran"; echo "$TF_IN_AUTOMATION$HOME" >> "${'$'}{0%/*}/ran"\n${fail ? 'exit 1' : 'exit 0'}\n` });
    return { root, ran: () => (fs.existsSync(path.join(root, 'scripts', 'ran')) ? fs.readFileSync(path.join(root, 'scripts', 'ran'), 'utf8') : '') };
  };
  const bins = () => {
    const d = tempDir();
    for (const b of ['terraform', 'myterraform']) fs.writeFileSync(path.join(d, b), '#!/bin/sh\n', { mode: 0o755 });
    return d;
  };

  it('the bundled OpenTofu by default: engine.sh run with the caller\'s environment, its tools first on PATH, its CLI config', () => {
    const c = checkout();
    const e = resolveEngine(c.root, { PATH: '/usr/bin:/bin', HOME: '/h' });
    // the caller's environment as given (HOME), not the engine's (TF_IN_AUTOMATION)
    expect(c.ran()).toBe('ran\n/h\n');
    const tools = path.join(c.root, '.tools');
    expect(e).toEqual({
      bin: 'tofu',
      env: { PATH: `${tools}/bin:/usr/bin:/bin`, HOME: '/h', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_CLI_CONFIG_FILE: `${tools}/tofurc`, TERRAFORM_BINARY_NAME: 'tofu' },
    });
    // without a PATH, only the tools (no empty entry, which would name the current folder)
    expect(resolveEngine(c.root, { STACKYARD_TOOLS: '/t' }).env).toMatchObject({ PATH: '/t/bin', TF_CLI_CONFIG_FILE: '/t/tofurc' });
  });

  it('the user\'s own engine when asked for and found on PATH (terraform unless named), without building one', () => {
    const c = checkout(true);
    const d = bins();
    expect(resolveEngine(c.root, { STACKYARD_USE_OWN_ENGINE: '1', PATH: `/nonexistent:${d}` })).toEqual({
      bin: 'terraform', env: { STACKYARD_USE_OWN_ENGINE: '1', PATH: `/nonexistent:${d}`, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
    });
    expect(resolveEngine(c.root, { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'myterraform', PATH: d }).bin).toBe('myterraform');
    expect(resolveEngine(c.root, { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: path.join(d, 'myterraform') }).bin).toBe(path.join(d, 'myterraform'));
    expect(c.ran()).toBe('');
  });

  it('falls back to the bundled engine when the own one is not asked for or not there (an empty PATH entry is not the current folder)', () => {
    const d = bins();
    const cases = [
      { PATH: `${d}:/bin` },
      { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'nothere', PATH: `${d}:/bin` },
      { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: path.join(d, 'nothere'), PATH: '/bin' },
      { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'myterraform', PATH: '/bin' },
      // package.json is in the current folder (the checkout, or Stryker's copy of it), which an empty entry would name
      { STACKYARD_USE_OWN_ENGINE: '1', TERRAFORM_BINARY_NAME: 'package.json', PATH: `${path.delimiter}/bin` },
    ];
    expect(fs.existsSync('package.json')).toBe(true);
    for (const base of cases) {
      const c = checkout();
      expect(resolveEngine(c.root, base).bin).toBe('tofu');
      expect(c.ran()).toMatch(/^ran\n/);
    }
  });

  it('stops the deploy when the engine cannot be installed', () => {
    const c = checkout(true);
    expect(() => resolveEngine(c.root, { PATH: '/usr/bin:/bin' })).toThrow(new DeployStop('engine installation failed; run npm run engine to see why'));
  });
});
