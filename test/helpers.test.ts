/** The test helpers whose mistakes would leak from one test into the next. */
import { describe, expect, it, onTestFinished } from 'vitest';
import { stubProperty } from './helpers';

describe('stubProperty', () => {
  it('sets the value for the test, twice over; when the test finishes, the original is back: an own property as it was, an inherited one with no own copy left', () => {
    const target: { own?: number; readonly inherited?: string } = Object.create({ inherited: 'proto' });
    target.own = 1;
    // registered first, so it runs after the restores (vitest runs these last registered first)
    onTestFinished(() => {
      expect(Object.getOwnPropertyDescriptor(target, 'own')).toEqual({ value: 1, writable: true, enumerable: true, configurable: true });
      expect(target.inherited).toBe('proto');
      expect(Object.hasOwn(target, 'inherited')).toBe(false);
    });
    stubProperty(target, 'own', 2);
    stubProperty(target, 'own', 3);
    stubProperty(target, 'inherited', 'stub');
    expect(target.own).toBe(3);
    expect(target.inherited).toBe('stub');
  });
});
