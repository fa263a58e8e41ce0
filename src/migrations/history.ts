import type { Connection } from '../dialects/dialect.js';

/** How a history row came to be. */
export type HistoryStatus = 'applied' | 'stamped' | 'started';

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

/** Reads and writes the history table. All SQL for it lives here. */
export class History {
  private readonly q: string;
  /**
   * The highest seq written, read once per session: inserts happen under the runner's lock,
   * so no one else writes between them (a rolled-back insert only leaves a gap).
   */
  private lastSeq: number | null = null;
  /** Whether this session made sure the table exists (inserts do it first, in their transaction). */
  private ensured = false;

  constructor(
    private readonly conn: Connection,
    readonly table: string,
  ) {
    this.q = conn.dialect.quoteIdent(table);
  }

  private p(n: number): string {
    return this.conn.dialect.engine.param(n);
  }

  /** Creates the table if missing. */
  async ensure(): Promise<void> {
    for (const stmt of this.conn.dialect.engine.createHistory(this.table)) await this.conn.exec(stmt);
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
      throw e;
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

  /** Inserts a row with the next sequence number. */
  async insert(row: {
    id: string;
    name: string;
    checksum: string;
    status: HistoryStatus;
    executionMs: number;
    statementsDone: number;
    statementsTotal: number;
  }): Promise<void> {
    const cast = this.conn.dialect.engine.nowParamCast;
    const p = (n: number) => this.p(n);
    // Created in the first insert's transaction: one commit fewer, and rolled back with it.
    if (!this.ensured) await this.ensure();
    if (this.lastSeq === null) {
      const rows = await this.conn.query<{ m: number | string | null }>(
        `SELECT MAX(seq) AS m FROM ${this.q}`,
      );
      this.lastSeq = Number(rows[0]?.m ?? 0);
    }
    const seq = ++this.lastSeq;
    await this.conn.query(
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

  /** Records progress of a migration that runs outside a transaction. */
  async progress(id: string, statementsDone: number, error: string | null): Promise<void> {
    await this.conn.query(
      `UPDATE ${this.q} SET statements_done = ${this.p(1)}, error = ${this.p(2)} WHERE id = ${this.p(3)}`,
      [statementsDone, error, id],
    );
  }

  /**
   * Marks an applied row as started again: its down stopped part-way with changes that may
   * have been committed, so status must show it as partially applied.
   */
  async markStarted(id: string, error: string): Promise<void> {
    await this.conn.query(
      `UPDATE ${this.q} SET status = 'started', error = ${this.p(1)} WHERE id = ${this.p(2)}`,
      [error, id],
    );
  }

  /** Marks a row applied (a finished non-transactional migration, or a resolved one). */
  async markApplied(id: string, checksum: string, executionMs: number): Promise<void> {
    await this.conn.query(
      `UPDATE ${this.q} SET status = 'applied', checksum = ${this.p(1)}, execution_ms = ${this.p(2)}, statements_done = statements_total, error = NULL WHERE id = ${this.p(3)}`,
      [checksum, executionMs, id],
    );
  }

  /** Replaces the recorded checksum of a row. */
  async setChecksum(id: string, checksum: string): Promise<void> {
    await this.conn.query(`UPDATE ${this.q} SET checksum = ${this.p(1)} WHERE id = ${this.p(2)}`, [
      checksum,
      id,
    ]);
  }

  async remove(id: string): Promise<void> {
    await this.conn.query(`DELETE FROM ${this.q} WHERE id = ${this.p(1)}`, [id]);
  }
}
