/**
 * The one contract every doctor check follows, the doctor's own (history, lock, schema) and a
 * dialect's health checks ({@link Dialect.healthChecks}) alike: the doctor loops over them.
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
 * One doctor check. `run` examines and reports findings (none when healthy); `fix`, when the
 * check can repair what it found without touching user data, is called by `doctor --fix` with
 * this check's findings and returns what it did (empty when it did nothing).
 */
export interface DoctorCheck<C extends CheckContext = CheckContext> {
  /** A stable name for the check (the code of its findings when it reports one kind). */
  readonly code: string;
  run(context: C): Promise<Finding[]>;
  fix?(context: C, findings: readonly Finding[]): Promise<DoctorFix[]>;
}
