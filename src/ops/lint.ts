/**
 * Lints for DSL operations: changes that work in a test database and hurt in production.
 * Pure: the caller supplies how many rows each table has (see migrations/lint.ts).
 */
import type { DialectName } from '../dialects/dialect.js';
import { dialectNamed } from '../dialects/registry.js';
import type { Operation } from './types.js';

/** One lint finding. `error` blocks `apply` unless `--force`. */
export interface LintFinding {
  id: string;
  /** `info` says what could not be judged; it never fails `lint`. */
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** The safer way to make the change. */
  alternative: string;
  table?: string;
}

/** What the lints need to know about the database. */
export interface LintContext {
  dialect: DialectName;
  /** Rows in a table (an estimate is fine; at least `largeTableRows + 1` when large); 0 when new. */
  rows(table: string): number;
  /** Tables at or above this many rows are large. Default 100,000. */
  largeTableRows?: number;
}

/**
 * A row count as a message states it: rows are counted only up to `large + 1` (enough to know
 * "large"), so a count above `large` is a lower bound, said as such.
 */
export function rowCount(n: number, large: number): string {
  return n > large ? `more than ${large} rows` : `${n} row${n === 1 ? '' : 's'}`;
}

/** The lints every operation list is checked against. */
export function lintOperations(ops: readonly Operation[], context: LintContext): LintFinding[] {
  const large = context.largeTableRows ?? 100_000;
  const dialect = dialectNamed(context.dialect);
  const { capabilities } = dialect;
  const findings: LintFinding[] = [];
  const created = new Set<string>();
  const rows = (table: string) => (created.has(table) ? 0 : context.rows(table));
  for (const op of ops) {
    switch (op.kind) {
      case 'createTable':
        created.add(op.table);
        break;
      case 'addColumn':
        if (
          op.spec.nullable === false &&
          (op.spec.default === undefined || op.spec.default === null) &&
          rows(op.table) > 0
        )
          findings.push({
            id: 'not-null-without-default',
            severity: 'error',
            table: op.table,
            message: capabilities.addNotNullFillsImplicitDefault
              ? `Adding NOT NULL column "${op.table}"."${op.column}" without a default to a table with rows gives every existing row the type's implicit default ('' for text, 0 for numbers, an enum's first value, a zero date) as if it were real data; a strict sql_mode with NO_ZERO_DATE refuses it for date and time types.`
              : `Adding NOT NULL column "${op.table}"."${op.column}" without a default to a table with rows fails (existing rows would be NULL).`,
            alternative:
              'Give it a default, or add it nullable, backfill it, then alterColumn(..., { nullable: false }) in a later migration.',
          });
        break;
      case 'createIndex':
        if (capabilities.concurrentIndexes && !op.spec.concurrently && rows(op.table) >= large)
          findings.push({
            id: 'index-without-concurrently',
            severity: 'error',
            table: op.table,
            message: `CREATE INDEX "${op.name}" on "${op.table}" (${rowCount(rows(op.table), large)}) blocks writes to it until the index is built.`,
            alternative:
              'createIndex(..., { concurrently: true }) builds it without blocking writes (the migration then runs outside a transaction).',
          });
        break;
      case 'alterColumn':
        if (capabilities.alterColumnInPlace && op.change.type !== undefined && rows(op.table) >= large)
          findings.push({
            id: 'type-change-rewrites-table',
            severity: 'error',
            table: op.table,
            message: `Changing the type of "${op.table}"."${op.column}" rewrites the whole table (${rowCount(rows(op.table), large)}) under an exclusive lock.`,
            alternative:
              'Add a new column, backfill it in batches, switch the application over, then drop the old column.',
          });
        break;
      case 'dropColumn':
      case 'dropTable':
      case 'renameColumn':
      case 'renameTable': {
        const what =
          op.kind === 'dropTable' || op.kind === 'renameTable'
            ? `table "${op.table}"`
            : `column "${op.table}"."${op.column}"`;
        if (created.has(op.table)) break;
        const n = op.kind === 'dropColumn' || op.kind === 'dropTable' ? rows(op.table) : 0;
        if (n > 0)
          findings.push({
            id: 'data-loss',
            severity: 'warning',
            table: op.table,
            message: `DATA LOSS: dropping ${what} deletes ${op.kind === 'dropTable' ? `its ${rowCount(n, large)}` : `its values in ${rowCount(n, large)}`}.`,
            alternative: 'Back it up first, or, if it was renamed, use renameTable / renameColumn instead.',
          });
        findings.push({
          id: 'breaking-change',
          severity: 'warning',
          table: op.table,
          message: `${op.kind === 'dropColumn' || op.kind === 'dropTable' ? 'Dropping' : 'Renaming'} ${what} breaks application code that still uses it.`,
          alternative:
            'Expand and contract: deploy code that no longer uses it first; for a rename, add the new name, copy, switch readers and writers, then drop the old one.',
        });
        break;
      }
      default:
        break;
    }
  }
  for (const table of dialect.compiler.rebuiltTables(ops)) {
    const n = rows(table);
    if (n >= large)
      findings.push({
        // The id predates other dialects with rebuilds; scripts match on it.
        id: 'large-sqlite-rebuild',
        severity: 'warning',
        table,
        message: `This rebuilds "${table}" (${rowCount(n, large)}): every row is copied while the database's write lock is held.`,
        alternative:
          'Run it at a quiet time; group changes to the table in one migration so they share one rebuild.',
      });
  }
  return findings;
}
