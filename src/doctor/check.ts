/**
 * The one contract every doctor check follows, the doctor's own (history, lock, schema) and a
 * dialect's health checks ({@link Dialect.healthChecks}) alike: the doctor runs them in one
 * loop, in order, and `doctor --fix` calls each one's `fix` in the same order.
 */
import type { Connection } from '../dialects/dialect.js';
import type { Finding } from './findings.js';

/** What every check may read. Checks are read-only in {@link DoctorCheck.run}. */
export interface CheckContext {
  readonly conn: Connection;
  /** The schema (namespace) holding the application's tables, where the dialect has them; undefined: its default. */
  readonly schema: string | undefined;
}

/** A repair `doctor --fix` made. */
export interface DoctorFix {
  code: string;
  /** What was done, in words. */
  action: string;
}

/**
 * What a fix reads besides its check's context: the whole examination, because a repair may
 * have to wait for another check's finding to be settled, or may already have been done by an
 * earlier fix.
 */
export interface FixContext {
  /** Every check's findings, as reported (errors first). */
  readonly findings: readonly Finding[];
  /** What the fixes before this one did, in order. */
  readonly fixed: readonly DoctorFix[];
}

/** What one {@link DoctorCheck.fix} did. */
export interface FixOutcome {
  /** The repairs it made (none when it did nothing). */
  fixed: DoctorFix[];
  /** Why it did not repair what it could have, as findings the report then adds. */
  refused: Finding[];
}

/**
 * One doctor check. `run` examines and reports findings (none when healthy). `fix`, when the
 * check can repair what it found without touching user data, is called by `doctor --fix` with
 * this check's findings (possibly none: a requested repair such as `--to` needs none), on a
 * connection of its own opened after the examination; it may write (under the migration lock)
 * and says what it did. The doctor examines again after any repair.
 */
export interface DoctorCheck<C extends CheckContext = CheckContext> {
  /** A stable name for the check (the code of its findings when it reports one kind). */
  readonly code: string;
  run(context: C): Promise<Finding[]>;
  fix?(context: C & FixContext, findings: readonly Finding[]): Promise<FixOutcome>;
}
