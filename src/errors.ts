/**
 * One error type for everything dbdoctor reports to a user. Each carries a stable `code`
 * (for scripts), what happened (`message`), what was left unchanged, and what to do next.
 */
export class DbDoctorError extends Error {
  /** Stable machine-readable code, e.g. `CHECKSUM_MISMATCH`. */
  readonly code: string;
  /** What was left as it was (or exactly what was changed). */
  readonly unchanged: string;
  /** The next thing the user should do, ideally an exact command. */
  readonly hint: string;
  /** Extra structured detail for `--json` output. */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    opts: { unchanged?: string; hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DbDoctorError';
    this.code = code;
    this.unchanged = opts.unchanged ?? '';
    this.hint = opts.hint ?? '';
    this.details = opts.details ?? {};
  }

  /** Plain JSON form used by `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      unchanged: this.unchanged || undefined,
      hint: this.hint || undefined,
      ...this.details,
    };
  }
}

/** True for errors dbdoctor raised on purpose (as opposed to bugs). */
export function isDbDoctorError(e: unknown): e is DbDoctorError {
  return e instanceof DbDoctorError;
}

/** The message of any thrown value. */
export function errorMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // Node's "Cannot find module" lists the files that required it (paths with a loader's query
  // string): noise in a message that already names the file.
  const stack = message.indexOf('\nRequire stack:');
  return stack < 0 ? message : message.slice(0, stack);
}
