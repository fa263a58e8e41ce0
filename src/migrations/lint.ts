/** Linting pending DSL migrations against the live database (row counts decide "large"). */
import { sqlFor } from '../dialects/clauses.js';
import type { Connection, Dialect } from '../dialects/dialect.js';
import { DbDoctorError } from '../errors.js';
import { type LintFinding, lintOperations } from '../ops/lint.js';
import type { Operation } from '../ops/types.js';
import { type EngineOptions, readOnlyView } from './engine.js';
import {
  IrreversibleMigrationError,
  type LoadedMigration,
  loadMigration,
  runsInTransaction,
} from './load.js';
import { compareFilesWithHistory } from './plan.js';

/** A lint finding of one migration (`IRREVERSIBLE_MIGRATION` and load errors included). */
export interface MigrationLintFinding extends LintFinding {
  migration: string;
}

/** Options shared by linting and by `apply`'s lint pass. */
export interface LintOptions {
  /** Tables with at least this many rows are large. Default 100,000. */
  largeTableRows?: number;
}

/**
 * Rows of `table`, counted up to `cap` (enough to know "large"); 0 when it does not exist, or
 * when the database does not (`conn` null).
 */
async function cappedRows(conn: Connection | null, table: string, cap: number): Promise<number> {
  if (conn === null) return 0;
  try {
    const rows = await conn.query<{ n: number | string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${conn.dialect.quoteIdent(table)} LIMIT ${Math.floor(cap) + 1}) AS sample`,
    );
    return Number(rows[0]?.n ?? 0);
  } catch (e) {
    if (conn.dialect.engine.isMissingTable(e)) return 0;
    throw e;
  }
}

/**
 * Lints the pending migrations among `loaded` with the live row counts of the tables they
 * touch: DSL operations everywhere; SQL migrations with the dialect's SQL linter (a real
 * parser) where it has one. Where it has none, `sayUnjudged` adds an `info` finding per SQL
 * migration saying it was not judged (the `lint` command; `apply` stays quiet about it).
 */
export async function lintLoaded(
  dialect: Dialect,
  conn: Connection | null,
  loaded: readonly LoadedMigration[],
  options: LintOptions & { sayUnjudged?: boolean } = {},
): Promise<MigrationLintFinding[]> {
  const large = options.largeTableRows ?? 100_000;
  const counts = new Map<string, number>();
  const rows = async (table: string) => {
    if (!counts.has(table)) counts.set(table, await cappedRows(conn, table, large));
    return counts.get(table)!;
  };
  const findings: MigrationLintFinding[] = [];
  for (const m of loaded) {
    if (m.up.kind === 'sql') {
      const linter = dialect.sqlLinter;
      const found = linter
        ? await linter.lint(m.up.statements, {
            rows,
            largeTableRows: large,
            transaction: runsInTransaction(m.up, dialect),
            conn,
          })
        : options.sayUnjudged
          ? [
              {
                id: 'sql-not-judged',
                severity: 'info' as const,
                message: `SQL migrations are not linted on ${dialect.name}: dbdoctor has no parser for its SQL.`,
                alternative:
                  'Review it by hand; the DSL migrations (`dbdoctor new --dsl`) are linted everywhere, and `dbdoctor sql` shows what runs.',
              },
            ]
          : [];
      findings.push(...found.map((f) => ({ ...f, migration: m.file.stem })));
      continue;
    }
    if (m.up.kind !== 'ops') continue;
    const ops: readonly Operation[] = m.up.ops;
    for (const op of ops) if ('table' in op) await rows(op.table);
    const found = lintOperations(ops, {
      dialect: dialect.name,
      rows: (t) => counts.get(t) ?? 0,
      largeTableRows: large,
    });
    // Raw sql() operations (generate writes some where the DSL cannot say a change) are judged
    // like a SQL migration; tables the migration's createTable makes are empty.
    // An sql() with no text for this dialect fails when it runs, not here.
    const raw = ops.flatMap((op) =>
      op.kind === 'sql' && (typeof op.up === 'string' || typeof op.up[dialect.name] === 'string') ? [op] : [],
    );
    if (raw.length > 0 && dialect.sqlLinter) {
      const created = new Set(ops.flatMap((op) => (op.kind === 'createTable' ? [op.table] : [])));
      const statements = raw.flatMap((op) => dialect.splitStatements(sqlFor(op.up, dialect.name)));
      found.push(
        ...(await dialect.sqlLinter.lint(statements, {
          rows: async (t) => (created.has(t) ? 0 : rows(t)),
          largeTableRows: large,
          transaction: runsInTransaction(m.up, dialect),
          conn,
        })),
      );
    }
    findings.push(...found.map((f) => ({ ...f, migration: m.file.stem })));
  }
  return findings;
}

/** The error `apply` raises when lints found errors and `force` was not given. */
export function lintError(findings: MigrationLintFinding[]): DbDoctorError {
  const errors = findings.filter((f) => f.severity === 'error');
  return new DbDoctorError(
    'LINT_FAILED',
    `${errors.length} unsafe change(s) in pending migrations:\n${errors.map((f) => `  [${f.id}] ${f.migration}: ${f.message}\n    safer: ${f.alternative}`).join('\n')}`,
    {
      unchanged: 'Nothing was applied.',
      hint: 'Change the migration as suggested, or run `dbdoctor apply --force` to apply it anyway.',
      details: { findings },
    },
  );
}

/** Lints every pending migration of a database: DSL lints, and migrations that cannot load. Read-only. */
export async function lint(
  options: EngineOptions & LintOptions,
): Promise<{ dialect: string; findings: MigrationLintFinding[] }> {
  return readOnlyView(options, async (view) => {
    const state = compareFilesWithHistory(view.files, view.rows, view.runner);
    const loaded: LoadedMigration[] = [];
    const findings: MigrationLintFinding[] = [];
    for (const f of state.pending) {
      try {
        loaded.push(await loadMigration(f, view.dialect));
      } catch (e) {
        if (!(e instanceof DbDoctorError)) throw e;
        // Its operations are linted all the same: every finding at once.
        if (e instanceof IrreversibleMigrationError) loaded.push(e.loaded);
        findings.push({
          id: e.code === 'IRREVERSIBLE_MIGRATION' ? 'irreversible' : 'unloadable',
          severity: 'error',
          message: e.message,
          alternative: e.hint,
          migration: f.stem,
        });
      }
    }
    findings.push(...(await lintLoaded(view.dialect, view.conn, loaded, { ...options, sayUnjudged: true })));
    return { dialect: view.dialect.name, findings };
  });
}
