/**
 * Renames are never guessed: they come from `--rename` (checked here against both schemas), or
 * from a person answering about a candidate (a table or column that goes while another comes,
 * the most alike asked first), as Prisma and Drizzle ask.
 */
import { DbDoctorError } from '../errors.js';
import type { Schema, Table } from '../schema/model.js';
import type { Rename } from './plan.js';

/** A drop-and-add that may be a rename, and the question to ask about it. */
export interface RenameCandidate {
  rename: Rename;
  question: string;
}

/**
 * Parses `--rename` values: `old=new` renames a table, `table.old=new` a column of it (the
 * table's name after any table rename).
 */
export function parseRenames(values: readonly string[]): Rename[] {
  return values.map((value) => {
    const m = /^([^=.]+)(?:\.([^=]+))?=(.+)$/.exec(value);
    if (!m) {
      throw new DbDoctorError(
        'BAD_USAGE',
        `--rename ${value}: expected old=new (a table) or table.old=new (a column).`,
        {
          unchanged: 'No migration was written.',
          hint: 'Example: --rename accounts.mail=email, or --rename users=accounts',
        },
      );
    }
    return m[2] === undefined
      ? { kind: 'table', from: m[1], to: m[3] }
      : { kind: 'column', table: m[1], from: m[2], to: m[3] };
  });
}

function badRename(r: Rename, why: string): DbDoctorError {
  const text = r.kind === 'table' ? `${r.from}=${r.to}` : `${r.table}.${r.from}=${r.to}`;
  return new DbDoctorError('BAD_RENAME', `--rename ${text}: ${why}`, {
    unchanged: 'No migration was written.',
    hint: 'A rename names a table (or column) the migrations have and the schema file does not, and its new name the other way round.',
  });
}

/** Checks each rename against the head and the desired schema; returns a copy. */
export function validateRenames(renames: readonly Rename[], head: Schema, desired: Schema): Rename[] {
  const tableAfter = (name: string) => renames.find((x) => x.kind === 'table' && x.from === name)?.to ?? name;
  const tableBefore = (name: string) =>
    renames.find((x) => x.kind === 'table' && x.to === name)?.from ?? name;
  for (const r of renames) {
    if (r.kind === 'table') {
      if (!head.tables[r.from]) throw badRename(r, `the migrations have no table ${r.from}.`);
      if (desired.tables[r.from]) throw badRename(r, `the schema file still has table ${r.from}.`);
      if (!desired.tables[r.to]) throw badRename(r, `the schema file has no table ${r.to}.`);
      if (head.tables[r.to]) throw badRename(r, `the migrations already have a table ${r.to}.`);
    } else {
      const before = head.tables[tableBefore(r.table)];
      const after = desired.tables[tableAfter(r.table)] ?? desired.tables[r.table];
      if (!before || !after) throw badRename(r, `table ${r.table} is not in both schemas.`);
      const has = (t: Table, c: string) => t.columns.some((x) => x.name === c);
      if (!has(before, r.from)) throw badRename(r, `the migrations have no column ${r.table}.${r.from}.`);
      if (has(after, r.from)) throw badRename(r, `the schema file still has column ${r.table}.${r.from}.`);
      if (!has(after, r.to)) throw badRename(r, `the schema file has no column ${r.table}.${r.to}.`);
    }
  }
  // Column renames name the table as the migrations have it when the fold makes them.
  return renames.map((r) => (r.kind === 'column' ? { ...r, table: tableBefore(r.table) } : { ...r }));
}

/** Likeness of two names, 0 to 1: the share of their letter pairs in common (Dice). */
function nameLikeness(a: string, b: string): number {
  const pairs = (s: string) => {
    const t = s.toLowerCase();
    return Array.from({ length: Math.max(t.length - 1, 0) }, (_, i) => t.slice(i, i + 2));
  };
  const x = pairs(a);
  const y = pairs(b);
  if (x.length + y.length === 0) return a.toLowerCase() === b.toLowerCase() ? 1 : 0;
  const rest = [...y];
  let common = 0;
  for (const p of x) {
    const i = rest.indexOf(p);
    if (i >= 0) {
      common++;
      rest.splice(i, 1);
    }
  }
  return (2 * common) / (x.length + y.length);
}

/** What differs between two tables' columns, in words (`+ phone, - fax, age: integer -> text`). */
function columnChanges(a: Table, b: Table): string[] {
  const out: string[] = [];
  for (const c of b.columns) {
    const o = a.columns.find((x) => x.name === c.name);
    if (!o) out.push(`+ ${c.name}`);
    else if (o.type !== c.type) out.push(`${c.name}: ${o.type} -> ${c.type}`);
  }
  for (const c of a.columns) if (!b.columns.some((x) => x.name === c.name)) out.push(`- ${c.name}`);
  return out;
}

/**
 * Every drop-and-add pair that no rename covers and that may be a rename, most alike first:
 * tables of `kind` 'table' (any table that goes with any that comes), or columns (any column
 * that goes with any that comes in the same table, after the table renames in `renames`). A
 * rename may change the shape too (a column added, a type changed), so the shape only ranks
 * the pairs; it never hides one, since a drop-and-add the person meant as a rename loses data.
 */
export function renameCandidates(
  head: Schema,
  desired: Schema,
  renames: readonly Rename[],
  kind: 'table' | 'column',
): RenameCandidate[] {
  const scored: { score: number; candidate: RenameCandidate }[] = [];
  const tableRenames = renames.filter((r) => r.kind === 'table');
  if (kind === 'table') {
    const renamedFrom = new Set(tableRenames.map((r) => r.from));
    const renamedTo = new Set(tableRenames.map((r) => r.to));
    const gone = Object.values(head.tables).filter(
      (t) => !desired.tables[t.name] && !renamedFrom.has(t.name),
    );
    const come = Object.values(desired.tables).filter((t) => !head.tables[t.name] && !renamedTo.has(t.name));
    const shape = (t: Table) => new Set(t.columns.map((c) => `${c.name}:${c.type}`));
    for (const g of gone)
      for (const c of come) {
        const a = shape(g);
        const b = shape(c);
        const shared = [...a].filter((x) => b.has(x)).length;
        const changes = columnChanges(g, c);
        scored.push({
          score: shared / new Set([...a, ...b]).size + nameLikeness(g.name, c.name) / 10,
          candidate: {
            rename: { kind: 'table', from: g.name, to: c.name },
            question: `Is table ${g.name} renamed to ${c.name}${changes.length > 0 ? ` (and its columns changed: ${changes.join(', ')})` : ''}? (otherwise ${g.name} is dropped with its rows)`,
          },
        });
      }
  } else {
    for (const a of Object.values(head.tables)) {
      const b = desired.tables[tableRenames.find((r) => r.from === a.name)?.to ?? a.name];
      if (!b) continue;
      const goneColumns = a.columns.filter(
        (c) =>
          !b.columns.some((x) => x.name === c.name) &&
          !renames.some((r) => r.kind === 'column' && r.table === a.name && r.from === c.name),
      );
      const newColumns = b.columns.filter(
        (c) =>
          !a.columns.some((x) => x.name === c.name) &&
          !renames.some((r) => r.kind === 'column' && r.table === a.name && r.to === c.name),
      );
      for (const g of goneColumns)
        for (const c of newColumns) {
          const same = g.type === c.type;
          scored.push({
            score: (same ? 1 : 0) + nameLikeness(g.name, c.name),
            candidate: {
              rename: { kind: 'column', table: a.name, from: g.name, to: c.name },
              question: `Is column ${a.name}.${g.name} renamed to ${c.name}${same ? '' : ` (and its type changed from ${g.type} to ${c.type})`}? (otherwise ${g.name} is dropped with its data)`,
            },
          });
        }
    }
  }
  // Stable: pairs equally alike keep the schemas' order.
  return scored
    .map((x, i) => ({ ...x, i }))
    .sort((x, y) => y.score - x.score || x.i - y.i)
    .map((x) => x.candidate);
}

/** Whether `candidate` names a table or column that one of `taken` already renames (either end). */
export function overlaps(candidate: RenameCandidate, taken: readonly Rename[]): boolean {
  const r = candidate.rename;
  return taken.some((t) =>
    t.kind !== r.kind
      ? false
      : t.kind === 'table'
        ? t.from === r.from || t.to === r.to
        : r.kind === 'column' && t.table === r.table && (t.from === r.from || t.to === r.to),
  );
}
