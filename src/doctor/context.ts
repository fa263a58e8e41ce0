/**
 * What the doctor's own checks read. The doctor gathers it once per examination; the dialect's
 * health checks read only the {@link CheckContext} part.
 */
import type { EngineSession } from '../migrations/engine.js';
import type { MigrationState } from '../migrations/plan.js';
import type { Schema } from '../schema/model.js';
import type { CheckContext } from './check.js';
import type { SchemaVerdict } from './checks/schema.js';
import type { DoctorOptions } from './doctor.js';
import type { ExpectedSchemas } from './expected.js';
import type { Finding } from './findings.js';

/** The live schema set against the schemas the migrations make. */
export interface SchemaComparison {
  /** The live schema as introspected (tables that are not the user's left out). */
  live: Schema;
  /** The expected schemas, or null when no scratch database could be had. */
  expected: ExpectedSchemas | null;
  /** Why there are no expected schemas (SCRATCH_UNAVAILABLE), or null. */
  unavailable: Finding | null;
  /**
   * The verdict, or null when the live schema could not be judged (no expected schemas, or the
   * replay failed at or before the recorded revision).
   */
  verdict: SchemaVerdict | null;
}

/** The context of the doctor's checks: one examination of the database against its migrations. */
export interface DoctorContext extends CheckContext {
  readonly options: DoctorOptions;
  /**
   * The open session: its files, history and migration lock. During `fix` it is a session of
   * the fixes' own, opened after the examination's was closed.
   */
  readonly session: EngineSession;
  /** The files compared with the history rows (recorded, and those assumed applied). */
  readonly state: MigrationState;
  /** Whether there is any history row, recorded or assumed. */
  readonly hasHistory: boolean;
  /**
   * The live schema compared with the expected ones: introspected and replayed the first time
   * a check asks, then shared (the doctor's result reads it too).
   */
  comparison(): Promise<SchemaComparison>;
}
