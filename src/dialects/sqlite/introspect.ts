import {
  type Column,
  type ForeignKey,
  type Index,
  putObject,
  type Schema,
  type Table,
} from '../../schema/model.js';
import {
  normalizeAction,
  normalizeExpression,
  normalizeSchema,
  normalizeType,
} from '../../schema/normalize.js';
import type { IntrospectOptions } from '../dialect.js';
import { nameFilter } from '../exclude.js';
import {
  matchingParen,
  parseCreateIndex,
  parseCreateTable,
  splitTopLevel,
  tokenize,
  unquoteIdent,
} from './create-sql.js';
import type { SqliteConnection } from './driver.js';
import { quoteIdent } from './quote.js';

interface MasterRow {
  type: 'table' | 'index' | 'view' | 'trigger';
  name: string;
  tbl_name: string;
  sql: string | null;
}

interface XInfoRow {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

interface IndexListRow {
  name: string;
  unique: number;
  origin: 'c' | 'u' | 'pk';
  partial: number;
}

interface IndexXInfoRow {
  seqno: number;
  cid: number;
  name: string | null;
  desc: number;
  coll: string | null;
  key: number;
}

interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

/**
 * Reads a live SQLite database into the schema model with PRAGMA table_xinfo, index_list,
 * index_xinfo, foreign_key_list and the statements kept in sqlite_schema (for CHECKs,
 * collations, expressions and predicates no PRAGMA reports). Read-only.
 */
export function introspectSqlite(conn: SqliteConnection, options: IntrospectOptions): Schema {
  const db = conn.db;
  // SQLite bumps the schema cookie on every change to sqlite_schema (SQLite docs, PRAGMA
  // schema_version): while it stands still, so does the schema (a data-only migration).
  const cookieKey = `sqlite schema cookie\0${options.exclude.join('\0')}`;
  const cookie = db.pragma('main.schema_version', { simple: true }) as number;
  const seen = options.memo?.get(cookieKey) as { cookie: number; schema: Schema } | undefined;
  if (seen && seen.cookie === cookie) return seen.schema;
  const schema = readSchema(conn, options);
  options.memo?.set(cookieKey, { cookie, schema });
  return schema;
}

function readSchema(conn: SqliteConnection, options: IntrospectOptions): Schema {
  const db = conn.db;
  const excluded = nameFilter(options.exclude);
  const rows = db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .all() as MasterRow[];
  const tableOptions = new Map<string, string[]>();
  // A virtual table's shadow tables (FTS5's name_data, name_idx, name_content, ...) belong to
  // it: SQLite reports them as type 'shadow', and the virtual table's own CREATE text stands
  // for them (SQLite docs, "Virtual Table Object", shadow tables).
  const shadow = new Set<string>();
  for (const r of db
    .prepare("SELECT name, type, strict, wr FROM pragma_table_list WHERE schema = 'main'")
    .all() as {
    name: string;
    type: string;
    strict: number;
    wr: number;
  }[]) {
    if (r.type === 'shadow') shadow.add(r.name);
    const opts: string[] = [];
    if (r.strict) opts.push('strict');
    if (r.wr) opts.push('without rowid');
    tableOptions.set(r.name, opts);
  }
  const indexSql = new Map(
    rows.filter((r) => r.type === 'index' && r.sql).map((r) => [r.name, r.sql as string]),
  );
  const indexSqlByTable = new Map<string, string[]>();
  for (const r of rows) {
    if (r.type !== 'index') continue;
    const list = indexSqlByTable.get(r.tbl_name) ?? [];
    list.push(`${r.name}\0${r.sql ?? ''}`);
    indexSqlByTable.set(r.tbl_name, list);
  }

  const schema: Schema = { dialect: 'sqlite', tables: {}, enums: {}, views: {}, triggers: {}, objects: {} };
  for (const row of rows) {
    if (excluded.has(row.name) || excluded.has(row.tbl_name) || shadow.has(row.name)) continue;
    if (row.type === 'table') {
      // A virtual table is its CREATE VIRTUAL TABLE statement, compared as tokens, so the
      // module and its arguments (FTS5 columns, tokenize=, prefix=, content=) all count.
      if (row.sql && /^\s*CREATE\s+VIRTUAL/i.test(row.sql)) {
        putObject(schema, {
          kind: 'virtual table',
          name: row.name,
          definition: sqlTokens(row.sql),
        });
        continue;
      }
      // A table's model follows from its CREATE statement, its indexes' statements and its
      // options, so when none of them changed the PRAGMAs need not be read again.
      const opts = tableOptions.get(row.name) ?? [];
      const key = `${row.name}\0${row.sql}\0${(indexSqlByTable.get(row.name) ?? []).sort().join('\0')}\0${opts.join()}`;
      let table = options.memo?.get(key) as Table | undefined;
      if (!table) {
        table = readTable(conn, row, opts, indexSql);
        options.memo?.set(key, table);
      }
      schema.tables[row.name] = table;
    } else if (row.type === 'view' && row.sql) {
      schema.views[row.name] = { name: row.name, definition: normalizeExpression(row.sql) };
    } else if (row.type === 'trigger' && row.sql) {
      schema.triggers[row.name] = {
        name: row.name,
        table: row.tbl_name,
        definition: normalizeExpression(row.sql),
      };
    }
  }
  resolveImplicitReferences(schema);
  return normalizeSchema(schema);
}

// One SQL token: a string, a quoted identifier ("", ``, []), a word, a number, or one symbol.
const TOKEN =
  /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|\S/g;

/**
 * A statement as its tokens, one space apart: spacing and the case of unquoted words do not
 * count (SQLite folds neither identifiers' case nor whitespace into meaning), strings do, and
 * an identifier quoted with "", `` or [] is the same identifier unquoted.
 */
export function sqlTokens(sql: string): string {
  return (sql.match(TOKEN) ?? [])
    .map((t) => {
      if (t.startsWith("'")) return t;
      const quoted = /^["`[]/.test(t) ? t.slice(1, -1) : null;
      return (quoted ?? t).toLowerCase();
    })
    .join(' ');
}

/**
 * Primary key columns that can never hold NULL though PRAGMA reports `notnull` 0 for them
 * (https://sqlite.org/lang_createtable.html#rowid and https://sqlite.org/withoutrowid.html):
 * the rowid alias (a lone key column declared exactly INTEGER, with no index of its own: the
 * `INTEGER PRIMARY KEY DESC` quirk gets one and is not an alias), whose NULL becomes a new
 * rowid, and every key column of a WITHOUT ROWID table, where SQLite enforces NOT NULL. So
 * `id INTEGER PRIMARY KEY` and `id INTEGER PRIMARY KEY NOT NULL` mean the same; a TEXT key of
 * a rowid table does accept NULL (a legacy bug SQLite keeps) and stays nullable.
 */
function primaryKeyNeverNull(
  xinfo: readonly XInfoRow[],
  indexList: readonly IndexListRow[],
  options: readonly string[],
): Set<string> {
  const keys = xinfo.filter((c) => c.pk > 0);
  if (options.includes('without rowid')) return new Set(keys.map((c) => c.name));
  const alias =
    keys.length === 1 &&
    keys[0]!.type.trim().toUpperCase() === 'INTEGER' &&
    !indexList.some((il) => il.origin === 'pk');
  return new Set(alias ? [keys[0]!.name] : []);
}

function readTable(
  conn: SqliteConnection,
  row: MasterRow,
  options: string[],
  indexSql: Map<string, string>,
): Table {
  const db = conn.db;
  const q = quoteIdent(row.name);
  const extras = parseCreateTable(row.sql ?? '');
  const xinfo = (db.prepare(`PRAGMA main.table_xinfo(${q})`).all() as XInfoRow[]).filter(
    (c) => c.hidden !== 1,
  );
  const indexList = db.prepare(`PRAGMA main.index_list(${q})`).all() as IndexListRow[];
  const neverNull = primaryKeyNeverNull(xinfo, indexList, options);
  const columns: Column[] = xinfo.map((c) => ({
    name: c.name,
    type: normalizeType(c.type),
    nullable: c.notnull === 0 && !neverNull.has(c.name),
    default: c.dflt_value === null ? null : normalizeExpression(c.dflt_value),
    generated:
      c.hidden === 2 || c.hidden === 3
        ? normalizeExpression(extras.generated.get(c.name) ?? '') + (c.hidden === 3 ? ' stored' : ' virtual')
        : null,
    collation: extras.collations.get(c.name)?.toLowerCase() ?? null,
    identity: extras.autoincrement.has(c.name) ? 'autoincrement' : null,
  }));
  const pk = xinfo
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);

  const uniques: Table['uniques'] = [];
  const indexes: Index[] = [];
  for (const il of indexList) {
    const keys = (db.prepare(`PRAGMA main.index_xinfo(${quoteIdent(il.name)})`).all() as IndexXInfoRow[])
      .filter((k) => k.key === 1)
      .sort((a, b) => a.seqno - b.seqno);
    if (il.origin === 'pk') continue;
    if (il.origin === 'u') {
      uniques.push({ name: null, columns: keys.map((k) => k.name ?? '') });
      continue;
    }
    const parsed = parseCreateIndex(indexSql.get(il.name) ?? '');
    indexes.push({
      name: il.name,
      unique: il.unique === 1,
      keys: keys.map((k, i) => ({
        column: k.cid >= 0 ? k.name : null,
        expression: k.cid === -2 ? normalizeExpression(parsed.keys[i] ?? '') : null,
        descending: k.desc === 1,
        collation: k.coll && k.coll.toUpperCase() !== 'BINARY' ? k.coll.toLowerCase() : null,
      })),
      where: il.partial && parsed.where ? normalizeExpression(parsed.where) : null,
      method: null,
    });
  }

  const byId = new Map<number, ForeignKeyRow[]>();
  for (const fk of db.prepare(`PRAGMA main.foreign_key_list(${q})`).all() as ForeignKeyRow[]) {
    const list = byId.get(fk.id) ?? [];
    list.push(fk);
    byId.set(fk.id, list);
  }
  const deferred = deferredForeignKeys(row.sql ?? '');
  // PRAGMA lists foreign keys last-declared first (id 0) and without names: names come from the
  // text, in declaration order (each checked by its columns).
  const declared = extras.foreignKeyNames;
  const names = new Map<number, string>();
  for (const [id, parts] of byId) {
    const d = declared[declared.length - 1 - id];
    const columns = [...parts].sort((a, b) => a.seq - b.seq).map((p) => p.from.toLowerCase());
    if (d?.name && d.columns.map((c) => c.toLowerCase()).join() === columns.join()) names.set(id, d.name);
  }
  const foreignKeys: ForeignKey[] = [...byId.entries()].map(([id, parts]) => {
    parts.sort((a, b) => a.seq - b.seq);
    const key = foreignKeyKey(
      parts.map((p) => p.from),
      parts[0].table,
    );
    return {
      ...(deferred.has(key) ? { extras: ['deferrable initially deferred'] } : {}),
      name: names.get(id) ?? null,
      columns: parts.map((p) => p.from),
      referencedTable: parts[0].table,
      referencedColumns: parts.map((p) => p.to ?? ''),
      onDelete: normalizeAction(parts[0].on_delete),
      onUpdate: normalizeAction(parts[0].on_update),
    };
  });

  return {
    name: row.name,
    columns,
    primaryKey: pk.length > 0 ? pk : null,
    uniques,
    indexes,
    foreignKeys,
    checks: extras.checks.map((c) => ({ name: c.name, expression: normalizeExpression(c.expression) })),
    options,
  };
}

function foreignKeyKey(columns: readonly string[], table: string): string {
  return `${columns.map((c) => c.toLowerCase()).join(',')}\0${table.toLowerCase()}`;
}

/**
 * The foreign keys of a CREATE TABLE declared DEFERRABLE INITIALLY DEFERRED, which no PRAGMA
 * reports. Only that form defers the check to COMMIT: SQLite treats a plain DEFERRABLE and
 * DEFERRABLE INITIALLY IMMEDIATE like NOT DEFERRABLE (SQLite docs, "Foreign Key Support" 4.2).
 */
function deferredForeignKeys(sql: string): Set<string> {
  const out = new Set<string>();
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.text === '(');
  if (open < 0) return out;
  const ident = (i: number) => unquoteIdent(sql.slice(tokens[i].start, tokens[i].end));
  for (const [from, to] of splitTopLevel(tokens, open + 1, matchingParen(tokens, open))) {
    let i = from;
    if (tokens[i].text === 'CONSTRAINT') i += 2;
    let columns: string[];
    if (tokens[i]?.text === 'FOREIGN') {
      const paren = tokens.findIndex((t, k) => k > i && t.text === '(');
      const close = matchingParen(tokens, paren);
      columns = splitTopLevel(tokens, paren + 1, close).map(([a]) => ident(a));
    } else columns = [ident(from)];
    let depth = 0;
    for (let k = i; k < to; k++) {
      const t = tokens[k].text;
      if (t === '(') depth++;
      else if (t === ')') depth--;
      else if (depth === 0 && t === 'REFERENCES' && k + 1 < to) {
        const table = ident(k + 1);
        for (let j = k + 2; j < to - 2; j++)
          if (
            tokens[j].text === 'DEFERRABLE' &&
            tokens[j - 1].text !== 'NOT' &&
            tokens[j + 1].text === 'INITIALLY' &&
            tokens[j + 2].text === 'DEFERRED'
          )
            out.add(foreignKeyKey(columns, table));
        break;
      }
    }
  }
  return out;
}

/**
 * `REFERENCES parent` without columns means the parent's primary key; spell it out. Tables
 * are replaced, not mutated, because they may be shared through the memo.
 */
function resolveImplicitReferences(schema: Schema): void {
  for (const [name, table] of Object.entries(schema.tables)) {
    if (!table.foreignKeys.some((fk) => fk.referencedColumns.some((c) => c === ''))) continue;
    schema.tables[name] = {
      ...table,
      foreignKeys: table.foreignKeys.map((fk) => {
        const parentPk = schema.tables[fk.referencedTable]?.primaryKey;
        return fk.referencedColumns.some((c) => c === '') && parentPk && parentPk.length === fk.columns.length
          ? { ...fk, referencedColumns: [...parentPk] }
          : fk;
      }),
    };
  }
}
