/**
 * Attribute values in the form the kreuzwerker/docker provider reads them back from the engine.
 *
 * Terraform compares what the configuration says with what the provider's Read wrote to the
 * state. When the two differ only in form ("1" vs "1.0", "60s" vs "1m0s"), every plan shows a
 * change, and for a ForceNew attribute such as `cpus` or `ports` a replacement. So stackyard
 * writes each such attribute exactly as Read produces it (provider 4.x, internal/provider:
 * resource_docker_container_funcs.go resourceDockerContainerRead, helpers.go
 * nanoInt64ToDecimalString, resource_docker_container_structures.go flattenContainerPorts).
 */

const NANO = 1_000_000_000n;

/**
 * `cpus` as the provider reads NanoCPUs back: `new(big.Rat).SetFrac64(nano, 1e9).FloatString(9)`,
 * then "1.0" style when that string has exactly nine zeros, else trailing zeros trimmed. Returns
 * undefined when no configuration value reads back as itself (e.g. 0.05 reads back as "0.1",
 * the provider's rounding), or when Docker cannot take it (more than nine decimals, not > 0).
 */
export function cpusAsRead(cpus: number): string | undefined {
  const nano = cpusToNano(cpus);
  if (nano === undefined) return undefined;
  const text = nanoToDecimalString(nano);
  return cpusToNano(Number(text)) === nano && parseDockerCpus(text) === nano ? text : undefined;
}

/** The provider's nanoInt64ToDecimalString, exactly (including its quirks: 10 → "10.", 0.05 → "0.1"). */
export function nanoToDecimalString(nano: bigint): string {
  if (nano === 0n) return '0';
  const str = floatString(nano, 9);
  if ([...str].filter((c) => c === '0').length === 9) return floatString(nano, 1);
  return str.replace(/0+$/, '');
}

/** big.Rat(nano / 1e9).FloatString(digits) for nano >= 0: rounded half away from zero. */
function floatString(nano: bigint, digits: number): string {
  const scale = 10n ** BigInt(9 - digits);
  let scaled = nano / scale;
  if ((nano % scale) * 2n >= scale) scaled += 1n;
  const unit = 10n ** BigInt(digits);
  const whole = scaled / unit;
  return digits === 0 ? String(whole) : `${whole}.${String(scaled % unit).padStart(digits, '0')}`;
}

/** Nano-CPUs of a number as Docker's opts.ParseCPUs would read its decimal text; undefined if Docker rejects it. */
function cpusToNano(cpus: number): bigint | undefined {
  if (!Number.isFinite(cpus) || cpus <= 0) return undefined;
  return parseDockerCpus(String(cpus));
}

/** opts.ParseCPUs: a rational number whose value times 1e9 is an integer. */
function parseDockerCpus(text: string): bigint | undefined {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[1] === '' && !m[2])) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > 9) return undefined;
  return BigInt(m[1] || '0') * NANO + BigInt(frac.padEnd(9, '0') || '0');
}

/**
 * A duration in seconds as Go's time.Duration.String() prints it, which is how the provider reads
 * healthcheck intervals back: 5 → "5s", 60 → "1m0s", 90 → "1m30s", 3600 → "1h0m0s", 0.5 → "500ms".
 */
export function durationAsRead(seconds: number): string {
  let ns = BigInt(Math.round(seconds * 1e9));
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  if (neg) ns = -ns;
  const sign = neg ? '-' : '';
  if (ns < NANO) {
    // sub-second: the largest unit that keeps an integer part (ms, µs, ns), fraction trimmed
    const [unit, div] = ns < 1_000n ? ['ns', 1n] : ns < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    return `${sign}${fraction(ns, div)}${unit}`;
  }
  const h = ns / (3600n * NANO);
  const m = (ns / (60n * NANO)) % 60n;
  const s = fraction(ns % (60n * NANO), NANO);
  if (h > 0n) return `${sign}${h}h${m}m${s}s`;
  if (m > 0n) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** value/div in decimal with trailing zeros of the fraction (and a bare point) removed. */
function fraction(value: bigint, div: bigint): string {
  const whole = value / div;
  const rest = value % div;
  if (rest === 0n) return String(whole);
  const width = String(div).length - 1;
  return `${whole}.${String(rest).padStart(width, '0').replace(/0+$/, '')}`;
}

/**
 * Published ports in the order the provider reads them back: by internal port (flattenContainerPorts
 * sorts the engine's port map by port number), ties in the given order.
 */
export function portsAsRead<T extends { internal: number }>(ports: readonly T[]): T[] {
  return ports.map((p, i) => [p, i] as const).sort(([a, i], [b, j]) => a.internal - b.internal || i - j).map(([p]) => p);
}
