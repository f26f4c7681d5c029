/**
 * The exit codes of the `stackyard` command (README "The stackyard command" lists them). One
 * place, so every command and the tests agree.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A user mistake in an environment file, a refusal (missing secret, unconfirmed down, reaper), a failed engine run, something unhealthy. */
  failure: 1,
  /** Unknown command or option, missing or extra argument: nothing was done. */
  usage: 2,
  /** `plan`: the plan deletes or replaces data (a data-loss warning). */
  dataLoss: 3,
  /** Internal error: a bug in stackyard, printed with its stack. */
  internal: 70,
  /** The environment is locked by another deploy (the deploy lock on its first host, or this machine's flock); nothing was done. */
  locked: 75,
} as const;

/** An expected failure: printed as `stackyard: <message>` (no stack trace) with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failure) {
    super(message);
    this.name = 'CliError';
  }
}
