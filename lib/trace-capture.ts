/**
 * cdktf records a full, unlimited-depth stack trace for every token and computed list it
 * creates (thousands per stack), only to quote them in its own internal error messages.
 * Formatting those traces is the largest single cost of synthesizing a large environment
 * (see `npm run bench:synth`). While stackyard builds and synthesizes, the capture is
 * skipped; STACKYARD_CDKTF_TRACES=1 keeps it for debugging cdktf itself.
 */
export function withoutCreationTraces<T>(fn: () => T): T {
  if (process.env.STACKYARD_CDKTF_TRACES === '1') return fn();
  const original = Error.captureStackTrace;
  // cdktf's captureStackTrace asks for traces on a plain object it then reads `.stack` from;
  // errors (real Error instances) still get their stack.
  Error.captureStackTrace = function capture(target: object, ctor?: Function) {
    if (target instanceof Error) return original.call(Error, target, ctor);
    (target as { stack?: string }).stack = '';
  } as typeof Error.captureStackTrace;
  try {
    return fn();
  } finally {
    Error.captureStackTrace = original;
  }
}
