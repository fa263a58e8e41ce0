/**
 * Lints for SQL migrations on PostgreSQL, in the spirit of squawk: the statements are parsed
 * by PostgreSQL's own parser (libpg-query, compiled to WebAssembly: no native build), never
 * matched with regular expressions. libpg-query is an optional dependency: without it, or for
 * a statement it cannot parse, the finding says the SQL was not judged.
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../../errors.js';
import { rowCount } from '../../ops/lint.js';
import type { SqlLintContext, SqlLinter, SqlLintFinding } from '../dialect.js';

type Node = Record<string, unknown>;

interface Parser {
  parseSync(sql: string): { stmts?: { stmt: Node }[] };
}

let parser: Promise<Parser | null> | null = null;

/** libpg-query, loaded once; null when it is not installed. */
function loadParser(): Promise<Parser | null> {
  parser ??= (async () => {
    try {
      // Resolved first, so "not installed" is told apart from a broken install.
      createRequire(import.meta.url).resolve('libpg-query');
    } catch {
      return null;
    }
    const mod = (await import('libpg-query')) as unknown as Parser & { loadModule(): Promise<void> };
    await mod.loadModule();
    return mod;
  })();
  return parser;
}

const obj = (v: unknown): Node | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
/** The single `{ Kind: {...} }` a node wraps. */
const unwrap = (v: unknown, kind: string): Node | undefined => obj(obj(v)?.[kind]);
const relname = (relation: unknown): string | undefined => obj(relation)?.relname as string | undefined;

function constraints(columnDef: Node | undefined): string[] {
  return list(columnDef?.constraints).map((c) => String(unwrap(c, 'Constraint')?.contype ?? ''));
}

const EXPAND_CONTRACT =
  'Expand and contract: deploy code that no longer uses it first; for a rename, add the new name, copy, switch readers and writers, then drop the old one.';

/** One statement's findings; `created` holds the tables this migration created (they are empty). */
async function lintStatement(
  stmt: Node,
  created: Set<string>,
  ctx: SqlLintContext,
): Promise<SqlLintFinding[]> {
  const large = ctx.largeTableRows;
  const rows = async (table: string) => (created.has(table) ? 0 : ctx.rows(table));
  const out: SqlLintFinding[] = [];
  const breaking = (table: string, what: string, verb: string) => {
    if (!created.has(table))
      out.push({
        id: 'breaking-change',
        severity: 'warning',
        table,
        message: `${verb} ${what} breaks application code that still uses it.`,
        alternative: EXPAND_CONTRACT,
      });
  };
  const dataLoss = async (table: string, what: string, whose: string) => {
    const n = await rows(table);
    if (n > 0)
      out.push({
        id: 'data-loss',
        severity: 'warning',
        table,
        message: `DATA LOSS: dropping ${what} deletes ${whose}${rowCount(n, large)}.`,
        alternative: 'Back it up first, or, if it was renamed, rename it instead (ALTER TABLE ... RENAME).',
      });
  };

  const create = unwrap(stmt, 'CreateStmt');
  if (create) {
    const table = relname(create.relation);
    if (table) created.add(table);
    return out;
  }
  const index = unwrap(stmt, 'IndexStmt');
  if (index) {
    const table = relname(index.relation);
    if (table && index.concurrent !== true) {
      const n = await rows(table);
      if (n >= large)
        out.push({
          id: 'index-without-concurrently',
          severity: 'error',
          table,
          message: `CREATE INDEX${index.idxname ? ` "${index.idxname}"` : ''} on "${table}" (${rowCount(n, large)}) blocks writes to it until the index is built.`,
          alternative:
            "CREATE INDEX CONCURRENTLY builds it without blocking writes; it runs outside a transaction (`-- migrate:up transaction:false`, or your layout's way of saying so).",
        });
    }
    return out;
  }
  const alter = unwrap(stmt, 'AlterTableStmt');
  if (alter && alter.objtype === 'OBJECT_TABLE') {
    const table = relname(alter.relation);
    if (!table) return out;
    for (const c of list(alter.cmds)) {
      const cmd = unwrap(c, 'AlterTableCmd');
      if (!cmd) continue;
      const column = cmd.name as string | undefined;
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const def = unwrap(cmd.def, 'ColumnDef');
          const kinds = constraints(def);
          if (
            kinds.includes('CONSTR_NOTNULL') &&
            !kinds.includes('CONSTR_DEFAULT') &&
            !kinds.includes('CONSTR_IDENTITY') &&
            !kinds.includes('CONSTR_GENERATED') &&
            (await rows(table)) > 0
          )
            out.push({
              id: 'not-null-without-default',
              severity: 'error',
              table,
              message: `Adding NOT NULL column "${table}"."${def?.colname}" without a default to a table with rows fails (existing rows would be NULL).`,
              alternative:
                'Give it a default, or add it nullable, backfill it, then SET NOT NULL in a later migration.',
            });
          break;
        }
        case 'AT_AlterColumnType': {
          const n = await rows(table);
          if (n >= large)
            out.push({
              id: 'type-change-rewrites-table',
              severity: 'error',
              table,
              message: `Changing the type of "${table}"."${column}" rewrites the whole table (${rowCount(n, large)}) under an exclusive lock.`,
              alternative:
                'Add a new column, backfill it in batches, switch the application over, then drop the old column.',
            });
          break;
        }
        case 'AT_SetNotNull': {
          const n = await rows(table);
          if (n >= large)
            out.push({
              id: 'set-not-null-scans-table',
              severity: 'warning',
              table,
              message: `SET NOT NULL on "${table}"."${column}" reads every row (${rowCount(n, large)}) under an exclusive lock.`,
              alternative:
                'Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan).',
            });
          break;
        }
        case 'AT_AddConstraint': {
          const con = unwrap(cmd.def, 'Constraint');
          const kind = String(con?.contype ?? '');
          if ((kind === 'CONSTR_FOREIGN' || kind === 'CONSTR_CHECK') && con?.skip_validation !== true) {
            const n = await rows(table);
            if (n >= large)
              out.push({
                id: 'constraint-without-not-valid',
                severity: 'warning',
                table,
                message: `Adding a ${kind === 'CONSTR_FOREIGN' ? 'foreign key' : 'check'} constraint to "${table}" checks every row (${rowCount(n, large)}) while it blocks writes.`,
                alternative:
                  'Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (that does not block writes).',
              });
          }
          break;
        }
        case 'AT_DropColumn':
          await dataLoss(table, `column "${table}"."${column}"`, 'its values in ');
          breaking(table, `column "${table}"."${column}"`, 'Dropping');
          break;
        default:
          break;
      }
    }
    return out;
  }
  const drop = unwrap(stmt, 'DropStmt');
  if (drop && drop.removeType === 'OBJECT_TABLE') {
    for (const o of list(drop.objects)) {
      const names = list(unwrap(o, 'List')?.items).map((i) => String(unwrap(i, 'String')?.sval ?? ''));
      const table = names[names.length - 1];
      if (table) {
        await dataLoss(table, `table "${table}"`, 'its ');
        breaking(table, `table "${table}"`, 'Dropping');
      }
    }
    return out;
  }
  const rename = unwrap(stmt, 'RenameStmt');
  if (rename) {
    const table = relname(rename.relation);
    if (table && rename.renameType === 'OBJECT_COLUMN')
      breaking(table, `column "${table}"."${rename.subname}"`, 'Renaming');
    else if (table && rename.renameType === 'OBJECT_TABLE') breaking(table, `table "${table}"`, 'Renaming');
  }
  return out;
}

/** The PostgreSQL SQL linter. */
export const postgresSqlLinter: SqlLinter = {
  async lint(statements, ctx) {
    const p = await loadParser();
    if (p === null)
      return [
        {
          id: 'sql-not-judged',
          severity: 'info',
          message: 'SQL migrations are not linted: the optional dependency libpg-query is not installed.',
          alternative: 'npm install libpg-query (PostgreSQL’s own parser, WebAssembly: no native build).',
        },
      ];
    const created = new Set<string>();
    const findings: SqlLintFinding[] = [];
    for (const text of statements) {
      let stmts: Node[];
      try {
        stmts = (p.parseSync(text).stmts ?? []).map((s) => s.stmt);
      } catch (e) {
        findings.push({
          id: 'sql-not-judged',
          severity: 'info',
          message: `A statement PostgreSQL's parser does not read was not judged (${errorMessage(e)}): ${text.slice(0, 80)}${text.length > 80 ? '…' : ''}`,
          alternative: 'Check it by hand; `dbdoctor doctor` still replays it on a scratch database.',
        });
        continue;
      }
      for (const stmt of stmts) findings.push(...(await lintStatement(stmt, created, ctx)));
    }
    return findings;
  },
};
