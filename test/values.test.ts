/**
 * The small value parsers every kind relies on (lib/values.ts): memory sizes as Docker writes
 * them, durations as compose and the healthcheck fields write them, and names made into
 * Terraform identifiers and DNS labels. Each is checked at its edges, since the file schema
 * passes them what users type.
 */
import { describe, expect, it } from 'vitest';
import { memoryMiB } from '../lib/config/fields';
import { dnsSlug, durationToSeconds, memoryToMb, slug } from '../lib/values';

describe('memoryToMb', () => {
  it('k, m and g, with or without i and b, any case, in mebibytes (rounded)', () => {
    expect(['512m', '768MB', '3g', '1.5g', '2048k', '512Mi', '512MiB', '1G', '1536kb'].map(memoryToMb)).toEqual([512, 768, 3072, 1536, 2, 512, 512, 1024, 2]);
  });

  it('spaces around the size and before its unit are allowed', () => {
    expect(memoryToMb(' 512m ')).toBe(512);
    expect(memoryToMb('512 m')).toBe(512);
    expect(memoryToMb('1.25 g')).toBe(1280);
  });

  it('anything else is refused, naming it: no unit, another unit, text before or after, a bare dot', () => {
    for (const bad of ['512', '512t', 'x512m', '512mx', '512m 2', '1.g', '.5g', '1.5.5g', 'm', '']) {
      expect(() => memoryToMb(bad), bad).toThrow(`not a memory size: ${bad}`);
    }
  });
});

describe('memoryMiB (the schema\'s reading: NaN instead of an error)', () => {
  it('the same sizes and spaces as memoryToMb; NaN for anything else', () => {
    expect([' 512m ', '3g', '1.25 g'].map(memoryMiB)).toEqual([512, 3072, 1280]);
    for (const bad of ['512', 'x512m', '']) expect(memoryMiB(bad), bad).toBeNaN();
  });
});

describe('durationToSeconds', () => {
  it('ms, s, m, h and d, alone or combined', () => {
    expect(['10s', '1m30s', '2h', '90d', '500ms', '1h1m1s', '1d2h'].map(durationToSeconds)).toEqual([10, 90, 7200, 7_776_000, 0.5, 3661, 93_600]);
  });
});

describe('names as identifiers', () => {
  it('slug: runs of anything but letters and digits become one _, none at either end', () => {
    expect(slug('web-2')).toBe('web_2');
    expect(slug('--web..api__2--')).toBe('web_api_2');
    expect(slug('Core Host')).toBe('Core_Host');
  });

  it('dnsSlug: lower case, runs of anything else one -, none at either end', () => {
    expect(dnsSlug('Web  API_2')).toBe('web-api-2');
    expect(dnsSlug('--db--')).toBe('db');
    expect(dnsSlug('a..b')).toBe('a-b');
  });
});
