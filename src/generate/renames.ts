/**
 * Renames are never guessed: they come from `--rename` (checked here against both schemas), or
 * from a person answering about a candidate (a table or column that goes while one with the
 * same shape comes), as Prisma and Drizzle ask.
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

/** Drop-and-add pairs of the same shape that no rename covers: tables, then columns. */
export function renameCandidates(
  head: Schema,
  desired: Schema,
  renames: readonly Rename[],
): RenameCandidate[] {
  const out: RenameCandidate[] = [];
  const renamedFrom = new Set(renames.filter((r) => r.kind === 'table').map((r) => r.from));
  const renamedTo = new Set(renames.filter((r) => r.kind === 'table').map((r) => r.to));
  const shape = (t: Table) =>
    t.columns
      .map((c) => `${c.name}:${c.type}`)
      .sort()
      .join(',');
  const gone = Object.values(head.tables).filter((t) => !desired.tables[t.name] && !renamedFrom.has(t.name));
  const come = Object.values(desired.tables).filter((t) => !head.tables[t.name] && !renamedTo.has(t.name));
  for (const g of gone) {
    const match = come.find((c) => shape(c) === shape(g));
    if (match)
      out.push({
        rename: { kind: 'table', from: g.name, to: match.name },
        question: `Is table ${g.name} renamed to ${match.name}? (otherwise ${g.name} is dropped with its rows)`,
      });
  }
  for (const a of Object.values(head.tables)) {
    const b = desired.tables[a.name];
    if (!b) continue;
    const goneColumns = a.columns.filter((c) => !b.columns.some((x) => x.name === c.name));
    const newColumns = b.columns.filter((c) => !a.columns.some((x) => x.name === c.name));
    for (const g of goneColumns) {
      if (renames.some((r) => r.kind === 'column' && r.table === a.name && r.from === g.name)) continue;
      const match = newColumns.find(
        (c) =>
          c.type === g.type &&
          !renames.some((r) => r.kind === 'column' && r.table === a.name && r.to === c.name),
      );
      if (match)
        out.push({
          rename: { kind: 'column', table: a.name, from: g.name, to: match.name },
          question: `Is column ${a.name}.${g.name} renamed to ${match.name}? (otherwise ${g.name} is dropped with its data)`,
        });
    }
  }
  return out;
}
