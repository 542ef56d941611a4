/**
 * Error types shared by every layer.
 *
 * `InputError` is the user's fault (bad file, bad key, bad value): the CLI prints its one-line
 * message and exits with code 2. Anything else that escapes is a bug or a numerical failure
 * (exit code 1).
 */
export class InputError extends Error {
  /** Exit code the CLI uses for this error. */
  readonly exitCode = 2;
  /**
   * @param source the file path or option/key the problem is in (e.g. `vol.tif`, `--crop`,
   *   `protocol[2].until`); it is printed first so the user knows where to look.
   * @param cause what is wrong, one line.
   */
  constructor(readonly source: string, readonly reason: string) {
    super(`${source}: ${reason}`);
    this.name = 'InputError';
  }
}

/** Throws an `InputError` unless `cond` holds. */
export function require(cond: unknown, source: string, reason: string): asserts cond {
  if (!cond) throw new InputError(source, reason);
}
