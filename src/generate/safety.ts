/**
 * What a generated migration does to the rows already there, read from the two schemas (not
 * from the operations, so a change written as the dialect's SQL is judged the same way). The
 * verification runs on empty tables and proves nothing about rows: these findings say what it
 * cannot see.
 */
import type { Connection, SchemaSql } from '../dialects/dialect.js';
import type { LintFinding } from '../ops/lint.js';
import type { Column, Schema, Table } from '../schema/model.js';
import type { Rename } from './plan.js';

/** Each table of `to` that `from` has too (under its old name when renamed), with that one. */
function keptTables(from: Schema, to: Schema, renames: readonly Rename[]): [Table, Table][] {
  const out: [Table, Table][] = [];
  for (const b of Object.values(to.tables)) {
    const old = renames.find((r) => r.kind === 'table' && r.to === b.name)?.from ?? b.name;
    const a = from.tables[old];
    if (a) out.push([a, b]);
  }
  return out;
}

/** Each column of `b` that `a` has too (under its old name when renamed), with that one. */
function keptColumns(a: Table, b: Table, renames: readonly Rename[]): [Column, Column | undefined][] {
  return b.columns.map((c) => {
    const old =
      renames.find((r) => r.kind === 'column' && r.table === a.name && r.to === c.name)?.from ?? c.name;
    return [c, a.columns.find((x) => x.name === old)];
  });
}

/**
 * Findings (`data-loss`, warnings) for each table or column the change drops with its data and
 * each column whose type change may lose or reject values. `direction` words the message
 * (`down` for the migration's down).
 */
export function dataLossFindings(
  from: Schema,
  to: Schema,
  renames: readonly Rename[],
  writer: SchemaSql,
  direction: 'up' | 'down',
): LintFinding[] {
  const out: LintFinding[] = [];
  const who = direction === 'up' ? 'This migration' : 'Its down';
  const finding = (table: string, message: string, alternative: string): LintFinding => ({
    id: 'data-loss',
    severity: 'warning',
    table,
    message: `DATA LOSS: ${who} ${message}`,
    alternative,
  });
  const renamedAway = new Set(renames.filter((r) => r.kind === 'table').map((r) => r.from));
  for (const t of Object.values(from.tables))
    if (!to.tables[t.name] && !renamedAway.has(t.name))
      out.push(
        finding(
          t.name,
          `drops table ${t.name} and every row in it.`,
          `If ${t.name} was renamed, run generate again with --rename ${t.name}=<new name> (or answer the question on a terminal); otherwise back it up first.`,
        ),
      );
  for (const [a, b] of keptTables(from, to, renames)) {
    const kept = keptColumns(a, b, renames);
    const keptOld = new Set(kept.flatMap(([, o]) => (o ? [o.name] : [])));
    for (const c of a.columns)
      if (!keptOld.has(c.name))
        out.push(
          finding(
            b.name,
            `drops column ${a.name}.${c.name} and its values.`,
            `If ${c.name} was renamed, run generate again with --rename ${a.name}.${c.name}=<new name>; otherwise copy its values elsewhere first.`,
          ),
        );
    for (const [c, o] of kept) {
      if (!o || o.type === c.type) continue;
      const what = writer.lossyTypeChange?.(o, c) ?? null;
      if (what)
        out.push(
          finding(
            b.name,
            `changes ${b.name}.${c.name} from ${o.type} to ${c.type}: ${what}.`,
            'Check the rows first (the migration does not); to keep every value, add a new column, copy what fits, and drop the old one later.',
          ),
        );
    }
  }
  return out;
}

/**
 * Columns the change adds to a table that exists (and may have rows), NOT NULL without a
 * default: adding one fails on any table with rows, though it passes on the empty tables
 * generate verifies on.
 */
export function notNullAddsWithoutDefault(from: Schema, to: Schema, renames: readonly Rename[]): string[] {
  const out: string[] = [];
  for (const [a, b] of keptTables(from, to, renames))
    for (const [c, o] of keptColumns(a, b, renames))
      if (!o && !c.nullable && c.default === null && c.identity === null && c.generated === null)
        out.push(`${b.name}.${c.name}`);
  return out;
}

/**
 * Rows of the live database that the change will reject, counted with read-only queries: NULLs
 * in a column made NOT NULL, duplicates under a new UNIQUE constraint or unique index, rows
 * holding an enum value that goes. Warnings (the live database may be behind the migrations'
 * head, and rows change): what `apply` will meet, said before the migration is written. A
 * table or column the live database does not have is skipped.
 */
export async function rowsTheChangeRejects(
  conn: Connection,
  from: Schema,
  to: Schema,
  renames: readonly Rename[],
  schema: string | undefined,
): Promise<LintFinding[]> {
  const q = (name: string) => conn.dialect.quoteIdent(name);
  const relation = (table: string) => (schema ? `${q(schema)}.${q(table)}` : q(table));
  const count = async (sql: string): Promise<number> => {
    try {
      const rows = await conn.query<{ n: number | string }>(sql);
      return Number(rows[0]?.n ?? 0);
    } catch {
      return 0;
    }
  };
  const out: LintFinding[] = [];
  const finding = (table: string, what: string, alternative: string): LintFinding => ({
    id: 'rows-rejected',
    severity: 'warning',
    table,
    message: `In the live database, ${what}: applying this migration there fails.`,
    alternative,
  });
  const rows = (n: number, table: string) => `${n} row${n === 1 ? '' : 's'} of ${table}`;
  for (const [a, b] of keptTables(from, to, renames)) {
    const kept = keptColumns(a, b, renames);
    const oldName = (column: string) => kept.find(([c]) => c.name === column)?.[1]?.name ?? null;
    for (const [c, o] of kept) {
      if (!o?.nullable || c.nullable) continue;
      const n = await count(`SELECT count(*) AS n FROM ${relation(a.name)} WHERE ${q(o.name)} IS NULL`);
      if (n > 0)
        out.push(
          finding(
            a.name,
            `${rows(n, a.name)} ${n === 1 ? 'has' : 'have'} ${o.name} NULL, which becomes NOT NULL`,
            'Fill them first (a default does not fill existing rows), in this migration before the change or by hand.',
          ),
        );
    }
    const uniqueSets = (t: Table) => [
      ...t.uniques.map((u) => u.columns),
      ...t.indexes
        .filter((i) => i.unique && i.where === null && i.keys.every((k) => k.column !== null))
        .map((i) => i.keys.map((k) => k.column as string)),
      ...(t.primaryKey ? [t.primaryKey] : []),
    ];
    const before = new Set(uniqueSets(a).map((s) => [...s].sort().join(',')));
    for (const set of uniqueSets(b)) {
      const old = set.map(oldName);
      if (old.some((x) => x === null)) continue;
      const columns = old as string[];
      if (before.has([...columns].sort().join(','))) continue;
      const list = columns.map(q).join(', ');
      const n = await count(
        `SELECT count(*) AS n FROM (SELECT 1 AS one FROM ${relation(a.name)} WHERE ${columns.map((x) => `${q(x)} IS NOT NULL`).join(' AND ')} GROUP BY ${list} HAVING count(*) > 1) AS duplicates`,
      );
      if (n > 0)
        out.push(
          finding(
            a.name,
            `${n} value${n === 1 ? '' : 's'} of (${columns.join(', ')}) ${n === 1 ? 'is' : 'are'} in more than one row of ${a.name}, which becomes unique`,
            'Remove or change the duplicates first.',
          ),
        );
    }
  }
  for (const e of Object.values(from.enums)) {
    const next = to.enums[e.name];
    const gone = next ? e.values.filter((v) => !next.values.includes(v)) : [];
    if (gone.length === 0) continue;
    for (const t of Object.values(from.tables))
      for (const c of t.columns) {
        if (c.type !== `enum:${e.name}`) continue;
        const values = gone.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
        const n = await count(
          `SELECT count(*) AS n FROM ${relation(t.name)} WHERE ${q(c.name)} IN (${values})`,
        );
        if (n > 0)
          out.push(
            finding(
              t.name,
              `${rows(n, t.name)} ${n === 1 ? 'holds' : 'hold'} in ${c.name} a value of ${e.name} that goes (${gone.join(', ')})`,
              'Change those rows to a value that stays first.',
            ),
          );
      }
  }
  return out;
}
