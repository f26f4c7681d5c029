/**
 * Traefik route rules as Ingress rules (lib/kubernetes/routes.ts): every rule becomes its
 * alternatives, each with at most one host and one path prefix, whatever the nesting; what an
 * Ingress cannot say is refused naming the part. test/kubernetes.test.ts checks the Ingresses
 * rendered from them; test/k8s applies them to a real API server.
 */
import { describe, expect, it } from 'vitest';
import { parseRouteRule, RouteRuleError } from '../lib/kubernetes/routes';

const rules = (rule: string) => parseRouteRule(rule);

describe('route rules as Ingress rules', () => {
  it('one matcher: a host, or a path prefix on every host', () => {
    expect(rules('Host(`api.example.com`)')).toStrictEqual([{ host: 'api.example.com' }]);
    expect(rules('PathPrefix(`/api`)')).toStrictEqual([{ pathPrefix: '/api' }]);
  });

  it('several arguments are alternatives, in order', () => {
    expect(rules('Host(`a.example`, `b.example`)')).toStrictEqual([{ host: 'a.example' }, { host: 'b.example' }]);
    expect(rules('PathPrefix(`/a`,`/b`)')).toStrictEqual([{ pathPrefix: '/a' }, { pathPrefix: '/b' }]);
  });

  it('&& joins a host and a path prefix into one rule, in either order', () => {
    expect(rules('Host(`a`) && PathPrefix(`/p`)')).toStrictEqual([{ host: 'a', pathPrefix: '/p' }]);
    expect(rules('PathPrefix(`/p`)&&Host(`a`)')).toStrictEqual([{ host: 'a', pathPrefix: '/p' }]);
    expect(rules('Host(`a`, `b`) && PathPrefix(`/p`)')).toStrictEqual([{ host: 'a', pathPrefix: '/p' }, { host: 'b', pathPrefix: '/p' }]);
    // the same host twice asks for nothing more
    expect(rules('Host(`a`) && Host(`a`)')).toStrictEqual([{ host: 'a' }]);
  });

  it('|| gives alternatives, with or without spaces', () => {
    expect(rules('Host(`a`) || Host(`b`)')).toStrictEqual([{ host: 'a' }, { host: 'b' }]);
    expect(rules('Host(`a`)||PathPrefix(`/p`)||Host(`c`)')).toStrictEqual([{ host: 'a' }, { pathPrefix: '/p' }, { host: 'c' }]);
  });

  it('&& binds tighter than ||', () => {
    expect(rules('Host(`a`) || Host(`b`) && PathPrefix(`/p`)')).toStrictEqual([{ host: 'a' }, { host: 'b', pathPrefix: '/p' }]);
  });

  it('parentheses: around the whole, around each side, nested, with spaces inside', () => {
    expect(rules('((Host(`a`)))')).toStrictEqual([{ host: 'a' }]);
    expect(rules(' ( Host(`a`) ) ')).toStrictEqual([{ host: 'a' }]);
    expect(rules('(Host(`a`)) || (Host(`b`))')).toStrictEqual([{ host: 'a' }, { host: 'b' }]);
    expect(rules('(Host(`a`)) && (PathPrefix(`/p`))')).toStrictEqual([{ host: 'a', pathPrefix: '/p' }]);
    expect(rules('Host(`api.localhost`) || (Host(`192.168.0.241`) && PathPrefix(`/api`))')).toStrictEqual([{ host: 'api.localhost' }, { host: '192.168.0.241', pathPrefix: '/api' }]);
  });

  it('an || inside an && is multiplied out: one Ingress rule per combination', () => {
    expect(rules('(Host(`a`) || Host(`b`)) && PathPrefix(`/p`)')).toStrictEqual([{ host: 'a', pathPrefix: '/p' }, { host: 'b', pathPrefix: '/p' }]);
    expect(rules('(Host(`a`) || PathPrefix(`/p`)) && Host(`a`)')).toStrictEqual([{ host: 'a' }, { host: 'a', pathPrefix: '/p' }]);
    expect(rules('(Host(`a`) || Host(`b`)) && (PathPrefix(`/x`) || PathPrefix(`/y`))')).toStrictEqual([
      { host: 'a', pathPrefix: '/x' }, { host: 'a', pathPrefix: '/y' }, { host: 'b', pathPrefix: '/x' }, { host: 'b', pathPrefix: '/y' },
    ]);
    // a parenthesized alternative beside others
    expect(rules('(Host(`a`) || PathPrefix(`/p`)) || Host(`c`)')).toStrictEqual([{ host: 'a' }, { pathPrefix: '/p' }, { host: 'c' }]);
  });

  it('operators and parentheses inside backquotes are part of the value', () => {
    expect(rules('PathPrefix(`/a||b`) && Host(`x&&y`)')).toStrictEqual([{ host: 'x&&y', pathPrefix: '/a||b' }]);
    expect(rules('(PathPrefix(`/a)`))')).toStrictEqual([{ pathPrefix: '/a)' }]);
    expect(rules('PathPrefix(`/(x`) || Host(`b`)')).toStrictEqual([{ pathPrefix: '/(x' }, { host: 'b' }]);
  });

  it('what an Ingress cannot say is refused, naming the rule and the part', () => {
    expect(() => rules('HeadersRegexp(`X`, `y`)')).toThrow('route rule "HeadersRegexp(`X`, `y`)": "HeadersRegexp(`X`, `y`)" has no Ingress equivalent (use Host() and PathPrefix())');
    expect(() => rules('Host(`a`) && Method(`GET`)')).toThrow('"Method(`GET`)" has no Ingress equivalent');
    // the whole part must be the matcher: nothing before or after it
    expect(() => rules('XHost(`a`)')).toThrow('"XHost(`a`)" has no Ingress equivalent');
    expect(() => rules('Host(`a`)x')).toThrow('"Host(`a`)x" has no Ingress equivalent');
    expect(() => rules('Host(a)')).toThrow('"Host(a)" has no Ingress equivalent');
    expect(() => rules('Host()')).toThrow('has no Ingress equivalent');
    expect(() => rules('(Host(`a`)')).toThrow('"(Host(`a`)" has no Ingress equivalent');
  });

  it('an || or && with nothing on one side is refused', () => {
    for (const r of ['Host(`a`) ||', '&& Host(`a`)', 'Host(`a`) || () ', '']) {
      expect(() => rules(r), r).toThrow('a || or && with nothing on one side');
    }
  });

  it('two different hosts (or path prefixes) joined by && match no request: refused, saying to use ||', () => {
    expect(() => rules('Host(`a`) && Host(`b`)')).toThrow('route rule "Host(`a`) && Host(`b`)": it asks for two hosts at once (a && b), which no request matches; join them with || instead');
    expect(() => rules('PathPrefix(`/x`) && (PathPrefix(`/y`) || Host(`h`))')).toThrow('two path prefixes at once (/x && /y)');
  });

  it('the error carries the reason apart from the rule (the file check reports the reason at the route\'s place), quotes and all', () => {
    const e = (() => {
      try {
        rules('Host(`a"b`) && Host(`c`)');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(RouteRuleError);
    expect((e as RouteRuleError).reason).toBe('it asks for two hosts at once (a"b && c), which no request matches; join them with || instead');
    expect((e as RouteRuleError).message).toBe(`route rule ${JSON.stringify('Host(`a"b`) && Host(`c`)')}: ${(e as RouteRuleError).reason}`);
  });

  it('a rule that would multiply out past 100 Ingress rules is refused at once, not expanded', () => {
    const factor = '(Host(`a`) || Host(`a`))';
    expect(rules(Array(6).fill(factor).join(' && '))).toHaveLength(64);
    expect(() => rules(Array(7).fill(factor).join(' && '))).toThrow('it makes 128 Ingress rules (at most 100); write fewer alternatives');
    // 2^40 alternatives would not fit in memory: refused before any is made
    expect(() => rules(Array(40).fill(factor).join(' && '))).toThrow('it makes 1099511627776 Ingress rules');
    expect(() => rules(Array(101).fill('Host(`a`)').join(' || '))).toThrow('it makes 101 Ingress rules');
    // exactly 100 is allowed, written out or multiplied out
    expect(rules(Array(100).fill('Host(`a`)').join(' || '))).toHaveLength(100);
    expect(rules(`(${Array(10).fill('Host(`a`)').join(' || ')}) && (${Array(10).fill('PathPrefix(`/p`)').join(' || ')})`)).toHaveLength(100);
  });

  it('spaces around the arguments and their commas are allowed', () => {
    expect(rules('Host( `a` , `b` )')).toStrictEqual([{ host: 'a' }, { host: 'b' }]);
    expect(rules('PathPrefix(`/a` )')).toStrictEqual([{ pathPrefix: '/a' }]);
  });

  it('a rule with only path prefixes (or only hosts) has no host (or path prefix) key at all', () => {
    expect(rules('PathPrefix(`/a`) && PathPrefix(`/a`)')).toStrictEqual([{ pathPrefix: '/a' }]);
  });

  it('parentheses are stripped only when they pair around the whole: (a) || (b) is two alternatives', () => {
    expect(rules('(Host(`a`)) || (Host(`b`))')).toStrictEqual([{ host: 'a' }, { host: 'b' }]);
    const reason = (rule: string) => {
      try {
        rules(rule);
      } catch (x) {
        return (x as RouteRuleError).reason;
      }
      return 'accepted';
    };
    // unpaired: named as written, not with a parenthesis taken off either end
    expect(reason('(x')).toBe('"(x" has no Ingress equivalent (use Host() and PathPrefix())');
    expect(reason('Host(`a`))')).toBe('"Host(`a`))" has no Ingress equivalent (use Host() and PathPrefix())');
  });
});

