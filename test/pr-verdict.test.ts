/**
 * The pull request's verdict (lib/plan/pr-verdict.ts), in process: the `stackyard/data-loss`
 * status and the label rest on the plans trusted code made, never on the pull request's own synth
 * diff; an environment that was to be planned and has no trusted plan leaves it unverified.
 * (test/pr-plan.test.ts runs the same through the built command.)
 */
import { describe, expect, it } from 'vitest';
import type { ResourceChange, StackPlan } from '../lib/plan/plan';
import { prVerdict } from '../lib/plan/pr-verdict';

const change = (action: ResourceChange['action'], dataLoss = false): ResourceChange => ({ address: `docker_container.svc_${action}_1`, type: 'docker_container', action, host: 'main', service: action, attributes: [], dataLoss });
const plan = (...changes: ResourceChange[]): StackPlan[] => [{ name: 's', changes }];
const planned = (...names: string[]) => names.map((name) => ({ name, plan: true }));

describe('the pull request verdict', () => {
  it('no changes in every trusted plan: verified, nothing to flag', () => {
    expect(prVerdict(planned('staging', 'production'), new Map([['staging', plan()], ['production', []]]))).toEqual({ dataLoss: false, destroy: false, changes: false, unverified: false });
  });

  it('an update is a change, not a destroy; a replacement or a delete is a destroy; data loss only where a change says so', () => {
    expect(prVerdict(planned('a'), new Map([['a', plan(change('update'))]]))).toEqual({ dataLoss: false, destroy: false, changes: true, unverified: false });
    expect(prVerdict(planned('a'), new Map([['a', plan(change('create'))]]))).toEqual({ dataLoss: false, destroy: false, changes: true, unverified: false });
    expect(prVerdict(planned('a'), new Map([['a', plan(change('replace'))]]))).toMatchObject({ destroy: true, dataLoss: false });
    expect(prVerdict(planned('a'), new Map([['a', plan(change('delete'))]]))).toMatchObject({ destroy: true, dataLoss: false });
    expect(prVerdict(planned('a'), new Map([['a', plan(change('update'), change('replace', true))]]))).toEqual({ dataLoss: true, destroy: true, changes: true, unverified: false });
  });

  it('any one environment decides: data loss in the second plan of two is data loss', () => {
    const v = prVerdict(planned('a', 'b'), new Map([['a', plan()], ['b', [{ name: 'x', changes: [] }, { name: 'y', changes: [change('delete', true)] }]]]));
    expect(v).toEqual({ dataLoss: true, destroy: true, changes: true, unverified: false });
  });

  it('an environment to plan without a trusted plan (failed, missing, malformed) leaves it unverified, whatever the others say', () => {
    expect(prVerdict(planned('a', 'b'), new Map([['a', plan()]]))).toEqual({ dataLoss: false, destroy: false, changes: false, unverified: true });
    expect(prVerdict(planned('a', 'b'), new Map([['a', plan()], ['b', undefined]]))).toMatchObject({ unverified: true });
  });

  it('an environment trusted code would not plan is unverified too, and a plan offered for it counts for nothing', () => {
    const decisions = [{ name: 'a', plan: true }, { name: 'prod', plan: false, reason: 'the pull request changes its hosts' }];
    // a plan "for" prod (from wherever) must not decide data loss or changes
    const v = prVerdict(decisions, new Map([['a', plan()], ['prod', plan(change('delete', true))]]));
    expect(v).toEqual({ dataLoss: false, destroy: false, changes: false, unverified: true });
  });

  it('plans of environments nobody asked for are ignored', () => {
    expect(prVerdict(planned('a'), new Map([['a', plan()], ['other', plan(change('replace', true))]]))).toEqual({ dataLoss: false, destroy: false, changes: false, unverified: false });
    expect(prVerdict([], new Map([['other', plan(change('delete', true))]]))).toEqual({ dataLoss: false, destroy: false, changes: false, unverified: false });
  });
});
