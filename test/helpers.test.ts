/** The test helpers whose mistakes would leak from one test into the next. */
import { describe, expect, it } from 'vitest';
import { stubProperty } from './helpers';

describe('stubProperty', () => {
  const target: { own?: number; readonly inherited?: string } = Object.create({ inherited: 'proto' });
  target.own = 1;

  it('sets the value for the test, stubbed twice in one test', () => {
    stubProperty(target, 'own', 2);
    stubProperty(target, 'own', 3);
    stubProperty(target, 'inherited', 'stub');
    expect(target.own).toBe(3);
    expect(target.inherited).toBe('stub');
  });

  it('the next test sees the original: an own property as it was, an inherited one with no own copy left', () => {
    expect(target.own).toBe(1);
    expect(Object.getOwnPropertyDescriptor(target, 'own')).toEqual({ value: 1, writable: true, enumerable: true, configurable: true });
    expect(target.inherited).toBe('proto');
    expect(Object.hasOwn(target, 'inherited')).toBe(false);
  });
});
