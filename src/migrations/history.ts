import type { Connection, Row } from '../dialects/dialect.js';
import { DbDoctorError, errorMessage } from '../errors.js';

/**
 * How a history row came to be. `started` and `reverting` mark a migration that runs outside a
 * transaction and has not finished its up or its down: the database is between two revisions.
 */
export type HistoryStatus = 'applied' | 'stamped' | 'started' | 'reverting';

/** Whether a row records a migration whose changes are all in the database. */
export function isSettled(row: Pick<HistoryRow, 'status'>): boolean {
  return row.status === 'applied' || row.status === 'stamped';
}

/**
 * A statement on dbdoctor's own history table failed (not a migration statement): thrown as
 * HISTORY_WRITE_FAILED, naming the bookkeeping step, so the error never blames the user's SQL.
 */
export class HistoryWriteError extends DbDoctorError {
  constructor(
    readonly step: string,
    readonly statement: string,
    cause: unknown,
  ) {
    super(
      'HISTORY_WRITE_FAILED',
      `dbdoctor's own bookkeeping failed (it could not ${step}): ${errorMessage(cause)}\n  dbdoctor statement: ${statement.replace(/\s+/g, ' ')}`,
      {
        hint: "This is dbdoctor's own bookkeeping, not your migration: check the migration leaves dbdoctor able to write its history table (privileges of a role it switched to, a read-only setting), then run `dbdoctor status`.",
        details: { bookkeeping: step, statement, databaseError: errorMessage(cause) },
        cause,
      },
    );
  }
}

/** One row of the history table. */
export interface HistoryRow {
  id: string;
  name: string;
  checksum: string;
  status: HistoryStatus;
  appliedAt: string;
  executionMs: number;
  seq: number;
  statementsDone: number;
  statementsTotal: number;
  error: string | null;
}

/** A row to insert: everything but its time and sequence number. */
export interface NewHistoryRow {
  id: string;
  name: string;
  checksum: string;
  status: HistoryStatus;
  executionMs: number;
  statementsDone: number;
  statementsTotal: number;
}

/** Default history table name. */
export const DEFAULT_HISTORY_TABLE = 'dbdoctor_migrations';

interface RawRow {
  id: string;
  name: string;
  checksum: string;
  status: string;
  applied_at: string | Date;
  execution_ms: number | string;
  seq: number | string;
  statements_done: number | string;
  statements_total: number | string;
  error: string | null;
}

/**
 * Reads and writes the history table. All SQL for it lives here, and every statement names the
 * table qualified with the schema resolved when the session opened, so a migration that changes
 * `search_path` (or empties it, as pg_dump output does) cannot move or hide the history.
 */
export class History {
  /** The quoted, schema-qualified table name used in every statement. */
  private readonly q: string;
  /**
   * The highest seq written, read once per session: inserts happen under the runner's lock,
   * so no one else writes between them (a rolled-back insert only leaves a gap).
   */
  private lastSeq: number | null = null;
  /** Whether this session made sure the table exists (inserts do it first, in their transaction). */
  private ensured = false;
  /**
   * The id whose `started` row {@link markAppliedAndStart} wrote ahead of its migration, until
   * that migration takes it over ({@link takeStartedAhead}) or it is withdrawn.
   */
  private startedAhead: string | null = null;

  /**
   * @param table the table name (unqualified; also names the SQLite lock table)
   * @param schema the schema (PostgreSQL) or database (SQLite `main`) that holds it; null leaves
   *   the name unqualified (resolved by the session's search path at each statement)
   */
  constructor(
    private readonly conn: Connection,
    readonly table: string,
    readonly schema: string | null = null,
  ) {
    const quote = conn.dialect.quoteIdent;
    this.q = schema === null ? quote(table) : `${quote(schema)}.${quote(table)}`;
  }

  /**
   * Runs one bookkeeping statement and returns the rows it returned (none but for RETURNING); a
   * failure is dbdoctor's, reported as HISTORY_WRITE_FAILED.
   */
  private async write(
    step: string,
    sql: string,
    params: readonly unknown[] = [],
    returnsRows = false,
  ): Promise<Row[]> {
    try {
      if (params.length > 0 || returnsRows) return await this.conn.query(sql, params);
      await this.conn.exec(sql);
      return [];
    } catch (e) {
      throw new HistoryWriteError(step, sql, e);
    }
  }

  private p(n: number): string {
    return this.conn.dialect.engine.param(n);
  }

  /** Creates the table if missing. */
  async ensure(): Promise<void> {
    for (const stmt of this.conn.dialect.engine.createHistory(this.q))
      await this.write('create the history table', stmt);
    this.ensured = true;
  }

  /**
   * All rows in application order, in one query. Returns null when the table does not exist
   * (a database dbdoctor never touched), without creating it.
   */
  async read(): Promise<HistoryRow[] | null> {
    let rows: RawRow[];
    try {
      rows = await this.conn.query<RawRow & Record<string, unknown>>(`SELECT * FROM ${this.q} ORDER BY seq`);
    } catch (e) {
      if (this.conn.dialect.engine.isMissingTable(e)) return null;
      throw await this.foreignTable(e);
    }
    return rows.map((r) => ({
      id: String(r.id),
      name: r.name,
      checksum: r.checksum,
      status: r.status as HistoryStatus,
      appliedAt: r.applied_at instanceof Date ? r.applied_at.toISOString() : String(r.applied_at),
      executionMs: Number(r.execution_ms),
      seq: Number(r.seq),
      statementsDone: Number(r.statements_done),
      statementsTotal: Number(r.statements_total),
      error: r.error ?? null,
    }));
  }

  /**
   * The error for a history read that failed on a table that exists: when it has no `seq`
   * column it is not dbdoctor's (another tool's, named by `--history-table`), said as such
   * instead of the driver's `column "seq" does not exist`.
   */
  private async foreignTable(e: unknown): Promise<unknown> {
    const ours = await this.conn
      .query(`SELECT seq, checksum, status FROM ${this.q} WHERE 1 = 0`)
      .then(() => true)
      .catch(() => false);
    if (ours) return e;
    const theirs = await this.conn
      .query(`SELECT 1 FROM ${this.q} WHERE 1 = 0`)
      .then(() => true)
      .catch(() => false);
    if (!theirs) return e;
    return new DbDoctorError(
      'HISTORY_TABLE_FOREIGN',
      `Table ${this.table} is not a dbdoctor history table (it lacks dbdoctor's columns: seq, checksum, status); it belongs to something else, perhaps another migration tool.`,
      {
        unchanged: 'Nothing was changed; the table was only read.',
        hint: `Leave --history-table out (dbdoctor keeps its own, ${DEFAULT_HISTORY_TABLE}) or name a table dbdoctor created. To take over another tool's history, run \`dbdoctor adopt --history-table ${DEFAULT_HISTORY_TABLE}\` (it records in dbdoctor's own table and finds the other tool's by itself).`,
        details: { table: this.table },
        cause: e,
      },
    );
  }

  /** The highest seq written (read once per session). */
  private async lastSequence(): Promise<number> {
    if (this.lastSeq === null) {
      const sql = `SELECT MAX(seq) AS m FROM ${this.q}`;
      const rows = await this.conn
        .query<{ m: number | string | null }>(sql)
        .catch((e) => Promise.reject(new HistoryWriteError('read the last sequence number', sql, e)));
      this.lastSeq = Number(rows[0]?.m ?? 0);
    }
    return this.lastSeq;
  }

  /** Inserts a row with the next sequence number. */
  async insert(row: NewHistoryRow): Promise<void> {
    const cast = this.conn.dialect.engine.nowParamCast;
    const p = (n: number) => this.p(n);
    // Created in the first insert's transaction: one commit fewer, and rolled back with it.
    if (!this.ensured) await this.ensure();
    const seq = (await this.lastSequence()) + 1;
    this.lastSeq = seq;
    await this.write(
      `record ${row.id} as ${row.status}`,
      `INSERT INTO ${this.q} (id, name, checksum, status, applied_at, execution_ms, seq, statements_done, statements_total)
       VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}${cast}, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)})`,
      [
        row.id,
        row.name,
        row.checksum,
        row.status,
        new Date().toISOString(),
        row.executionMs,
        seq,
        row.statementsDone,
        row.statementsTotal,
      ],
    );
  }

  /**
   * Marks an applied row as being reverted by a down that runs outside a transaction, before
   * its first statement: a crash part-way then shows as partially reverted, never as applied.
   */
  async markReverting(id: string, statementsTotal: number): Promise<void> {
    await this.write(
      `record ${id} as reverting`,
      `UPDATE ${this.q} SET status = 'reverting', statements_done = 0, statements_total = ${this.p(1)}, error = NULL WHERE id = ${this.p(2)}`,
      [statementsTotal, id],
    );
  }

  /** Records progress of a migration (up or down) that runs outside a transaction. */
  async progress(id: string, statementsDone: number, error: string | null): Promise<void> {
    await this.write(
      `record the progress of ${id}`,
      `UPDATE ${this.q} SET statements_done = ${this.p(1)}, error = ${this.p(2)} WHERE id = ${this.p(3)}`,
      [statementsDone, error, id],
    );
  }

  /**
   * Marks a row applied (a finished non-transactional migration, or a resolved one). `statements`:
   * how many ran, when the runner counted them (a finished run's count is its total, also where
   * the total was not known beforehand); absent, the recorded total stands.
   */
  async markApplied(id: string, checksum: string, executionMs: number, statements?: number): Promise<void> {
    if (statements === undefined) {
      await this.write(
        `record ${id} as applied`,
        `UPDATE ${this.q} SET status = 'applied', checksum = ${this.p(1)}, execution_ms = ${this.p(2)}, statements_done = statements_total, error = NULL WHERE id = ${this.p(3)}`,
        [checksum, executionMs, id],
      );
      return;
    }
    await this.write(
      `record ${id} as applied`,
      `UPDATE ${this.q} SET status = 'applied', checksum = ${this.p(1)}, execution_ms = ${this.p(2)}, statements_done = ${this.p(3)}, statements_total = ${this.p(4)}, error = NULL WHERE id = ${this.p(5)}`,
      [checksum, executionMs, statements, statements, id],
    );
  }

  /**
   * Marks `finished` applied and records `next` as started in one statement (an upsert of both
   * rows): one commit where two would be. For migrations that run outside a transaction back to
   * back (every migration on MySQL): written right after the last statement of the first, so a
   * crash at any moment leaves the first recorded as finished or as partially applied, and the
   * next as not started or started with none of its statements done (which is what a crash
   * right before its first statement leaves). The next migration takes the row over with
   * {@link takeStartedAhead}. A repeatable `next` (whose old row is replaced) takes a transaction.
   * With `returning` (a select list; see SessionRestore.returning) and a dialect that writes
   * literals (EngineSql.literal), the upsert returns it as its first row; else null (also when
   * `next` is repeatable).
   */
  async markAppliedAndStart(
    finished: { id: string; name: string; checksum: string; executionMs: number; statements: number },
    next: NewHistoryRow & { replace: boolean },
    returning?: string,
  ): Promise<Row | null> {
    if (!this.ensured) await this.ensure();
    let returned: Row | null = null;
    if (next.replace) {
      await this.inTransaction(`record ${finished.id} as applied and ${next.id} as started`, async () => {
        await this.markApplied(finished.id, finished.checksum, finished.executionMs, finished.statements);
        await this.remove(next.id);
        await this.insert(next);
      });
    } else {
      const seq = (await this.lastSequence()) + 1;
      const now = new Date().toISOString();
      const cast = this.conn.dialect.engine.nowParamCast;
      const values = [
        // The finished row exists: only the upserted columns change (its seq is kept; the one
        // here is used only if the row vanished, and sorts it just before the next).
        finished.id,
        finished.name,
        finished.checksum,
        'applied',
        now,
        finished.executionMs,
        seq,
        finished.statements,
        finished.statements,
        next.id,
        next.name,
        next.checksum,
        next.status,
        now,
        next.executionMs,
        seq,
        next.statementsDone,
        next.statementsTotal,
      ];
      // Returning the session state takes the values as literals: a prepared statement (bound
      // parameters) would return the current database as it was when it was prepared.
      const literal = returning ? this.conn.dialect.engine.literal : undefined;
      const value = (i: number) => (literal ? literal(values[i]!) : this.p(i + 1));
      const row = (n: number) =>
        `(${[0, 1, 2, 3, 4].map((i) => value(n + i)).join(', ')}${cast}, ${[5, 6, 7, 8].map((i) => value(n + i)).join(', ')}, NULL)`;
      const columns = ['status', 'checksum', 'execution_ms', 'statements_done', 'statements_total', 'error'];
      const step = `record ${finished.id} as applied and ${next.id} as started`;
      const sql = `INSERT INTO ${this.q} (id, name, checksum, status, applied_at, execution_ms, seq, statements_done, statements_total, error)
       VALUES ${row(0)}, ${row(9)} ${this.conn.dialect.engine.upsert('id', columns)}`;
      const rows = literal
        ? await this.write(step, `${sql} RETURNING ${returning}`, [], true)
        : await this.write(step, sql, values);
      this.lastSeq = seq;
      returned = rows[0] ?? null;
    }
    this.startedAhead = next.id;
    return returned;
  }

  /** Runs bookkeeping writes in one transaction; any failure rolls them all back. */
  private async inTransaction(step: string, writes: () => Promise<void>): Promise<void> {
    const seq = this.lastSeq;
    try {
      await this.conn.begin();
    } catch (e) {
      throw new HistoryWriteError(step, 'BEGIN', e);
    }
    try {
      await writes();
      try {
        await this.conn.commit();
      } catch (e) {
        throw new HistoryWriteError(step, 'COMMIT', e);
      }
    } catch (e) {
      this.lastSeq = seq;
      await this.conn.rollback().catch(() => {});
      throw e;
    }
  }

  /** Whether `id`'s started row was written ahead by {@link markAppliedAndStart} (taken over now). */
  takeStartedAhead(id: string): boolean {
    if (this.startedAhead !== id) return false;
    this.startedAhead = null;
    return true;
  }

  /**
   * Removes a started row written ahead for a migration that then never ran (the run stopped
   * before it), so history does not show it as partially applied. Only a row that still says
   * no statement ran is removed.
   */
  async withdrawStartedAhead(): Promise<void> {
    const id = this.startedAhead;
    if (id === null) return;
    this.startedAhead = null;
    await this.write(
      `withdraw the started row of ${id}`,
      `DELETE FROM ${this.q} WHERE id = ${this.p(1)} AND status = 'started' AND statements_done = 0`,
      [id],
    );
  }

  /** Replaces the recorded checksum of a row. */
  async setChecksum(id: string, checksum: string): Promise<void> {
    await this.write(
      `replace the checksum of ${id}`,
      `UPDATE ${this.q} SET checksum = ${this.p(1)} WHERE id = ${this.p(2)}`,
      [checksum, id],
    );
  }

  /** Deletes a row (a reverted, rolled-back or forgotten migration). */
  async remove(id: string): Promise<void> {
    await this.write(`remove the row of ${id}`, `DELETE FROM ${this.q} WHERE id = ${this.p(1)}`, [id]);
  }
}
