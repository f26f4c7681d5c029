/**
 * The form the docker provider reads attributes back in. Expected values were printed by the
 * provider's own Go code (helpers.go nanoInt64ToDecimalString, time.Duration.String) run on
 * the same inputs; a configuration value that differs from them is a perpetual plan change.
 */
import { describe, expect, it } from 'vitest';
import { cpusAsRead, durationAsRead, nanoToDecimalString, portsAsRead } from '../lib/docker/readback';

describe('nanoToDecimalString mirrors the provider', () => {
  // nano → provider output, printed by the provider function in Go
  const GO: [bigint, string][] = [
    [1_000_000_000n, '1.0'], [2_000_000_000n, '2.0'], [500_000_000n, '0.5'], [250_000_000n, '0.25'], [1_500_000_000n, '1.5'],
    [10_000_000_000n, '10.'], [20_000_000_000n, '20.'], [100_000_000_000n, '100.'], [10_500_000_000n, '10.5'], [10_250_000_000n, '10.25'],
    [50_000_000n, '0.1'], [10_000_000n, '0.0'], [1_050_000_000n, '1.05'], [123_456_789n, '0.123456789'], [1_000_000n, '0.0'], [1n, '0.0'],
    [16_000_000_000n, '16.0'], [101_000_000_000n, '101.'], [950_000_000n, '0.95'], [990_000_000n, '0.99'], [75_000_000n, '0.075'],
  ];
  it.each(GO)('%s → %s', (nano, text) => expect(nanoToDecimalString(nano)).toBe(text));
});

describe('cpusAsRead', () => {
  it('writes whole numbers as the provider reads them back ("1.0", not "1")', () => {
    expect(cpusAsRead(1)).toBe('1.0');
    expect(cpusAsRead(2)).toBe('2.0');
    expect(cpusAsRead(16)).toBe('16.0');
    expect(cpusAsRead(10)).toBe('10.');
  });
  it('keeps fractions that read back as themselves', () => {
    expect(cpusAsRead(0.5)).toBe('0.5');
    expect(cpusAsRead(1.5)).toBe('1.5');
    expect(cpusAsRead(0.25)).toBe('0.25');
    expect(cpusAsRead(0.075)).toBe('0.075');
    expect(cpusAsRead(0.123456789)).toBe('0.123456789'); // nine decimals: as precise as Docker takes
  });
  it('refuses values the provider cannot read back as written (they would be replaced on every plan)', () => {
    expect(cpusAsRead(0.05)).toBeUndefined(); // reads back "0.1"
    expect(cpusAsRead(0.001)).toBeUndefined(); // reads back "0.0"
    expect(cpusAsRead(0.1234567891)).toBeUndefined(); // more precise than Docker takes
    expect(cpusAsRead(0)).toBeUndefined();
    expect(cpusAsRead(-1)).toBeUndefined();
    expect(cpusAsRead(1e-7)).toBeUndefined(); // String() gives "1e-7", which is no decimal number
    expect(cpusAsRead(1e21)).toBeUndefined(); // "1e+21"
  });
});

describe('durationAsRead (Go time.Duration.String)', () => {
  const GO: [number, string][] = [
    [0, '0s'], [0.5, '500ms'], [1, '1s'], [5, '5s'], [59, '59s'], [60, '1m0s'], [61, '1m1s'], [90, '1m30s'], [3600, '1h0m0s'],
    [3661.5, '1h1m1.5s'], [0.0015, '1.5ms'], [86400, '24h0m0s'], [125.25, '2m5.25s'],
    // the unit boundaries and the fraction's zeros (printed by Go 1.x time.Duration(ns).String())
    [1e-9, '1ns'], [999e-9, '999ns'], [1e-6, '1µs'], [1.5e-6, '1.5µs'], [999999e-9, '999.999µs'], [0.001, '1ms'],
    [1.005, '1.005s'], [1.05, '1.05s'], [-5, '-5s'], [-0.5, '-500ms'], [60.5, '1m0.5s'],
  ];
  it.each(GO)('%s s → %s', (s, text) => expect(durationAsRead(s)).toBe(text));
});

describe('portsAsRead', () => {
  it('orders by internal port, as flattenContainerPorts does', () => {
    const ports = [{ internal: 8080, n: 'dashboard' }, { internal: 443, n: 'ep-websecure' }, { internal: 80, n: 'ep-web' }];
    expect(portsAsRead(ports).map((p) => p.n)).toEqual(['ep-web', 'ep-websecure', 'dashboard']);
  });
});
