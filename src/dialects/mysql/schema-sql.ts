/**
 * The schema model written as MySQL/MariaDB SQL: schema.sql in canonical order (routines and
 * sequences, tables with their keys, indexes and CHECKs, then every foreign key, views,
 * triggers), and the statements `generate` uses for changes the operation DSL cannot say
 * (`ALTER TABLE … ADD/DROP/MODIFY`, in place). Views, triggers, routines and sequences are
 * written as the server itself shows them (SHOW CREATE …, as mysqldump does), without DEFINER.
 *
 * Foreign keys: MySQL checks at CREATE TABLE that the table a key names exists unless
 * `foreign_key_checks` is 0. schema.sql does not switch the checks off (a session setting
 * that would also let keys over missing columns through): it adds every foreign key with
 * ALTER TABLE once all tables exist, as pg_dump does, so tables may name each other in any
 * order. `generate` creates a table with the keys whose tables exist already, and adds the
 * others after ({@link SchemaSql.checksReferencesAtCreate}).
 */

import type {
  CheckConstraint,
  Column,
  ForeignKey,
  Index,
  SchemaObject,
  Table,
  Trigger,
  View,
} from '../../schema/model.js';
import { foreignKeyIdentity } from '../../schema/normalize.js';
import type { Connection, ObjectSources, SchemaSql } from '../dialect.js';
import { mentionsIdentifier, viewsInOrder } from '../view-order.js';
import { quoteIdent, quoteLiteral } from './quote.js';

const q = quoteIdent;

function names(list: readonly string[]): string {
  return list.map(q).join(', ');
}

/**
 * An expression of the model as SQL. Normalization keeps tokens one space apart, which splits
 * a hex or bit literal (`x'…'`, `b'…'`) and a charset introducer into a word and a string:
 * joined again here.
 */
function sql(expression: string): string {
  return expression.replace(/(^|[^A-Za-z0-9_$`])([xXbB]) '/g, "$1$2'");
}

/** A default MySQL takes as it is (a literal or the current time); anything else is an expression in parentheses. */
function defaultSql(expression: string): string {
  const e = sql(expression);
  if (/^(null|true|false|-?[0-9.]+(e[+-]?[0-9]+)?|'(?:[^']|'')*'|[xb]'[0-9a-f]*')$/i.test(e)) return e;
  if (/^(current_timestamp|now|localtime|localtimestamp)( \( \d* \)|\(\d*\))?$/i.test(e))
    return e.replace(/ \( (\d*) \)$/, '($1)');
  return `(${e})`;
}

/** `<default> on update <time>`, as introspection joins them, cut in two. */
function defaultAndOnUpdate(value: string): { value: string | null; onUpdate: string | null } {
  const m = / on update (current_timestamp(?: \( \d* \)|\(\d*\))?)$/i.exec(value);
  if (!m) return { value, onUpdate: null };
  const rest = value.slice(0, m.index);
  return { value: rest === 'null' ? null : rest, onUpdate: m[1].replace(/ \( (\d*) \)$/, '($1)') };
}

/** A column's extras (`invisible`, `without system versioning`) as the words that make them. */
function columnExtrasSql(c: Column): string[] {
  return (c.extras ?? []).map((e) => e.toUpperCase());
}

function columnSql(c: Column): string {
  const parts = [q(c.name), c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  // A system-versioned table's period columns: their values are the server's, never NULL.
  const rowPeriod = /^row (start|end)$/.exec(c.generated ?? '');
  if (rowPeriod) {
    parts.push(`GENERATED ALWAYS AS ROW ${rowPeriod[1]!.toUpperCase()}`, ...columnExtrasSql(c));
    return parts.join(' ');
  }
  if (c.generated) {
    const stored = / stored$/.test(c.generated);
    parts.push(
      `GENERATED ALWAYS AS (${sql(c.generated.replace(/ (stored|virtual)$/, ''))}) ${stored ? 'STORED' : 'VIRTUAL'}`,
    );
    // A generated column takes no NOT NULL on MariaDB; its nullability follows the expression.
    if (!c.nullable) parts.push('NOT NULL');
    parts.push(...columnExtrasSql(c));
    return parts.join(' ');
  }
  parts.push(c.nullable ? 'NULL' : 'NOT NULL');
  if (c.default !== null) {
    const { value, onUpdate } = defaultAndOnUpdate(c.default);
    if (value !== null) parts.push(`DEFAULT ${defaultSql(value)}`);
    else if (c.nullable) parts.push('DEFAULT NULL');
    if (onUpdate) parts.push(`ON UPDATE ${onUpdate}`);
  }
  if (c.identity === 'auto_increment') parts.push('AUTO_INCREMENT');
  parts.push(...columnExtrasSql(c));
  return parts.join(' ');
}

function checkSql(c: CheckConstraint): string {
  return `${c.name ? `CONSTRAINT ${q(c.name)} ` : ''}CHECK (${sql(c.expression)})`;
}

/** The database a foreign key's table is in, when not this one (introspection's extra). */
function referencedDatabase(f: ForeignKey): string | null {
  const extra = (f.extras ?? []).find((e) => e.startsWith('references database '));
  return extra ? extra.slice('references database '.length) : null;
}

function foreignKeySql(f: ForeignKey): string {
  const actions = `${f.onDelete !== 'NO ACTION' ? ` ON DELETE ${f.onDelete}` : ''}${f.onUpdate !== 'NO ACTION' ? ` ON UPDATE ${f.onUpdate}` : ''}`;
  const database = referencedDatabase(f);
  const target = `${database === null ? '' : `${q(database)}.`}${q(f.referencedTable)}`;
  return `${f.name ? `CONSTRAINT ${q(f.name)} ` : ''}FOREIGN KEY (${names(f.columns)}) REFERENCES ${target} (${names(f.referencedColumns)})${actions}`;
}

/** The prefix length of key `n` (1-based), from the index's extras. */
function prefixLength(index: Index, n: number): string | null {
  const m = (index.extras ?? [])
    .map((e) => /^prefix length (\d+) on key (\d+)$/.exec(e))
    .find((x) => x && Number(x[2]) === n);
  return m ? m[1] : null;
}

/** What the index's kind is called before KEY/INDEX (FULLTEXT, SPATIAL, UNIQUE), and USING. */
function indexKind(i: Index): { word: string; using: string } {
  if (i.method === 'fulltext' || i.method === 'spatial')
    return { word: `${i.method.toUpperCase()} `, using: '' };
  return { word: i.unique ? 'UNIQUE ' : '', using: i.method ? ` USING ${i.method.toUpperCase()}` : '' };
}

function indexKeys(i: Index): string {
  return i.keys
    .map((k, n) => {
      // MariaDB reports a SPATIAL key's part as 32 bytes long, a length it refuses to be given.
      const prefix = i.method === 'spatial' ? null : prefixLength(i, n + 1);
      const key =
        k.column !== null ? `${q(k.column)}${prefix ? `(${prefix})` : ''}` : `(${sql(k.expression ?? '')})`;
      return `${key}${k.descending ? ' DESC' : ''}`;
    })
    .join(', ');
}

/** An index as an item of CREATE TABLE (`KEY name (…)`). */
function indexItem(i: Index): string {
  const { word, using } = indexKind(i);
  return `${word}KEY ${q(i.name)} (${indexKeys(i)})${using}`;
}

function indexStatement(table: Table, i: Index): string {
  const { word, using } = indexKind(i);
  return `CREATE ${word}INDEX ${q(i.name)} ON ${q(table.name)} (${indexKeys(i)})${using}`;
}

/** Table options of the model (`engine x`, `collate x`, `partition by …`) as CREATE TABLE's words. */
function tableOptions(table: Table): string {
  const out: string[] = [];
  for (const o of table.options) {
    if (o.startsWith('engine ')) out.push(`ENGINE=${o.slice('engine '.length)}`);
    else if (o.startsWith('collate ')) out.push(`COLLATE=${o.slice('collate '.length)}`);
    else if (o === 'with system versioning') out.push('WITH SYSTEM VERSIONING');
    else if (o.startsWith('union (')) out.push(`UNION=${o.slice('union '.length)}`);
    else if (o.startsWith('insert_method '))
      out.push(`INSERT_METHOD=${o.slice('insert_method '.length).toUpperCase()}`);
  }
  const partition = table.options.find((o) => o.startsWith('partition by '));
  return `${out.length ? ` ${out.join(' ')}` : ''}${partition ? `\n${partition}` : ''}`;
}

/** The CREATE TABLE statement: columns, keys, indexes, CHECKs, and the foreign keys in `foreignKeys`. */
function createTableStatement(table: Table, foreignKeys: readonly ForeignKey[]): string {
  const items = table.columns.map(columnSql);
  if (table.primaryKey) items.push(`PRIMARY KEY (${names(table.primaryKey)})`);
  const start = table.columns.find((c) => c.generated === 'row start');
  const end = table.columns.find((c) => c.generated === 'row end');
  if (start && end) items.push(`PERIOD FOR SYSTEM_TIME (${q(start.name)}, ${q(end.name)})`);
  // Application-time periods and the keys over them, held as the server writes them.
  for (const o of table.options)
    if (o.startsWith('period for ')) items.push(`PERIOD FOR ${o.slice('period for '.length)}`);
  for (const o of table.options) {
    const key = /^(primary key|unique key)( .*)$/.exec(o);
    if (key)
      items.push(`${key[1]!.toUpperCase()}${key[2]!.replace(/without overlaps\)$/, 'WITHOUT OVERLAPS)')}`);
  }
  for (const u of table.uniques) items.push(`UNIQUE KEY ${q(u.name ?? u.columns[0])} (${names(u.columns)})`);
  for (const i of table.indexes) items.push(indexItem(i));
  for (const c of table.checks) items.push(checkSql(c));
  for (const f of foreignKeys) items.push(foreignKeySql(f));
  return `CREATE TABLE ${q(table.name)} (\n  ${items.join(',\n  ')}\n)${tableOptions(table)}`;
}

function mentions(text: string, name: string): boolean {
  return mentionsIdentifier(text, name, '`', true);
}

function viewSql(view: View, sources: ObjectSources): string {
  return sources[`view:${view.name}`] ?? `CREATE VIEW ${q(view.name)} AS ${sql(view.definition)}`;
}

function triggerSql(trigger: Trigger, sources: ObjectSources): string {
  const source = sources[`trigger:${trigger.name}`];
  if (source) return source;
  const m = /^(before|after) (insert|update|delete) for each row ([\s\S]*)$/.exec(trigger.definition);
  if (!m) return `-- trigger ${trigger.name}: ${trigger.definition}`;
  return `CREATE TRIGGER ${q(trigger.name)} ${m[1].toUpperCase()} ${m[2].toUpperCase()} ON ${q(trigger.table)} FOR EACH ROW ${sql(m[3])}`;
}

function objectSql(o: SchemaObject, sources: ObjectSources): string {
  const source = sources[`${o.kind}:${o.name}`];
  if (source) return source;
  if (o.kind === 'sequence') return `CREATE SEQUENCE ${q(o.name)}`;
  // A routine's text is only what the server shows (readSources); without it nothing runs it exactly.
  return `-- ${o.kind} ${o.name}: ${o.definition}`;
}

/** The implied index a foreign key of `table` keeps once the key is dropped, dropped too. */
function impliedIndexDrop(table: Table, f: ForeignKey, remaining: readonly ForeignKey[]): string[] {
  const first = f.columns[0];
  if (!first) return [];
  // Another index serving the key: InnoDB made none of its own.
  const served = (cols: readonly (string | null)[]) => f.columns.every((c, n) => cols[n] === c);
  if (table.primaryKey && served(table.primaryKey)) return [];
  if (table.uniques.some((u) => served(u.columns))) return [];
  if (table.indexes.some((i) => served(i.keys.map((k) => k.column)))) return [];
  if (remaining.some((o) => o.columns[0] === first)) return [];
  // The index's name is the constraint's, or its first column's when the key was made without
  // one: the catalog is asked when the migration runs, as the statement cannot say which.
  const candidates = [f.name ?? first, first].map(quoteLiteral).join(', ');
  return [
    `SET @dbdoctor_sql = (SELECT COALESCE(MAX(CONCAT('ALTER TABLE ', ${quoteLiteral(q(table.name))}, ' DROP INDEX \`', REPLACE(INDEX_NAME, '\`', '\`\`'), '\`')), 'DO 0') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${quoteLiteral(table.name)} AND INDEX_NAME IN (${candidates}) AND NON_UNIQUE = 1 AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = ${quoteLiteral(first)})`,
    'PREPARE dbdoctor_statement FROM @dbdoctor_sql',
    'EXECUTE dbdoctor_statement',
    'DEALLOCATE PREPARE dbdoctor_statement',
  ];
}

/**
 * ALTER TABLE statements turning `from` into `to`, or null where one change has no ALTER that
 * makes it exactly (table options: the engine, the default collation, partitioning).
 */
function alterTableStatements(from: Table, to: Table): string[] | null {
  // The engine changes in place; the default collation would not change the columns' (their
  // collation is read relative to it), and partitioning has no exact ALTER here: refused.
  const notEngine = (options: readonly string[]) => options.filter((o) => !o.startsWith('engine '));
  if (notEngine(from.options).join('\n') !== notEngine(to.options).join('\n')) return null;
  const t = `ALTER TABLE ${q(to.name)}`;
  const engine = (options: readonly string[]) =>
    options.find((o) => o.startsWith('engine '))?.slice('engine '.length) ?? 'innodb';
  const engineChange =
    engine(from.options) !== engine(to.options) ? [`${t} ENGINE=${engine(to.options)}`] : [];
  const dropKeys: string[] = [];
  const drops: string[] = [];
  const columns: string[] = [];
  const adds: string[] = [];
  const fkKey = (f: ForeignKey) =>
    `${f.name ?? ''} ${foreignKeyIdentity(f)} ${f.onDelete} ${f.onUpdate} ${referencedDatabase(f) ?? ''}`;
  const keptKeys = to.foreignKeys.filter((f) => from.foreignKeys.some((o) => fkKey(o) === fkKey(f)));
  for (const f of from.foreignKeys)
    if (!to.foreignKeys.some((n) => fkKey(n) === fkKey(f))) {
      if (!f.name) return null;
      dropKeys.push(`${t} DROP FOREIGN KEY ${q(f.name)}`);
      dropKeys.push(...impliedIndexDrop(from, f, keptKeys));
    }
  const checkKey = (c: CheckConstraint) => `${c.name ?? ''} ${c.expression}`;
  for (const c of from.checks)
    if (!to.checks.some((n) => checkKey(n) === checkKey(c))) {
      if (!c.name) return null;
      drops.push(`${t} DROP CONSTRAINT ${q(c.name)}`);
    }
  const uniqueKey = (u: Table['uniques'][number]) => `${u.name ?? ''} ${u.columns.join('\0')}`;
  for (const u of from.uniques)
    if (!to.uniques.some((n) => uniqueKey(n) === uniqueKey(u))) {
      if (!u.name) return null;
      drops.push(`${t} DROP INDEX ${q(u.name)}`);
    }
  const toIndexes = new Map(to.indexes.map((i) => [i.name, i]));
  const fromIndexes = new Map(from.indexes.map((i) => [i.name, i]));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const i of from.indexes)
    if (!same(toIndexes.get(i.name), i)) drops.push(`${t} DROP INDEX ${q(i.name)}`);

  const pkChanges = (from.primaryKey ?? []).join('\0') !== (to.primaryKey ?? []).join('\0');
  const fromColumns = new Map(from.columns.map((c) => [c.name, c]));
  const toColumns = new Map(to.columns.map((c) => [c.name, c]));
  // AUTO_INCREMENT needs its key: it goes before the primary key does and comes after it is back.
  const later: string[] = [];
  if (pkChanges && from.primaryKey) {
    for (const c of from.columns)
      if (c.identity !== null && toColumns.has(c.name))
        columns.push(`${t} MODIFY COLUMN ${columnSql({ ...c, identity: null })}`);
    columns.push(`${t} DROP PRIMARY KEY`);
  }
  for (const c of from.columns) if (!toColumns.has(c.name)) columns.push(`${t} DROP COLUMN ${q(c.name)}`);
  let previous: string | null = null;
  for (const c of to.columns) {
    const position = previous === null ? 'FIRST' : `AFTER ${q(previous)}`;
    previous = c.name;
    const o = fromColumns.get(c.name);
    const identityLater = c.identity !== null && pkChanges;
    const definition = columnSql(identityLater ? { ...c, identity: null } : c);
    if (!o) {
      columns.push(`${t} ADD COLUMN ${definition} ${position}`);
    } else if (!same(o, c)) {
      columns.push(`${t} MODIFY COLUMN ${definition}`);
    }
    if (identityLater) later.push(`${t} MODIFY COLUMN ${columnSql(c)}`);
  }
  if (pkChanges && to.primaryKey) columns.push(`${t} ADD PRIMARY KEY (${names(to.primaryKey)})`);
  columns.push(...later);

  for (const u of to.uniques)
    if (!from.uniques.some((o) => uniqueKey(o) === uniqueKey(u)))
      adds.push(`${t} ADD UNIQUE KEY ${q(u.name ?? u.columns[0])} (${names(u.columns)})`);
  for (const i of to.indexes) if (!same(fromIndexes.get(i.name), i)) adds.push(indexStatement(to, i));
  for (const c of to.checks)
    if (!from.checks.some((o) => checkKey(o) === checkKey(c))) adds.push(`${t} ADD ${checkSql(c)}`);
  for (const f of to.foreignKeys)
    if (!from.foreignKeys.some((o) => fkKey(o) === fkKey(f))) adds.push(`${t} ADD ${foreignKeySql(f)}`);
  return [...dropKeys, ...drops, ...engineChange, ...columns, ...adds];
}

const ROUTINES = new Set(['procedure', 'function']);

/** `DEFINER=user@host` out of a server's CREATE text: the object is made by whoever runs the file. */
function withoutDefiner(text: string): string {
  return text.replace(
    /\s+DEFINER\s*=\s*(`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\s@]+)@(`(?:[^`]|``)*`|'(?:[^']|'')*'|\S+)/i,
    '',
  );
}

/** `db`. qualifiers the server writes into a view's or routine's text, for objects of the same database. */
function unqualified(text: string, db: string): string {
  return text.split(`${q(db)}.`).join('');
}

export const mysqlSchemaSql: SchemaSql = {
  checksReferencesAtCreate: true,
  addForeignKey(table, foreignKey) {
    return [`ALTER TABLE ${q(table.name)} ADD ${foreignKeySql(foreignKey)}`];
  },
  schemaStatements(schema, sources) {
    const out: string[] = [];
    const objects = Object.values(schema.objects ?? {});
    for (const o of objects.filter((x) => x.kind === 'sequence')) out.push(objectSql(o, sources));
    for (const o of objects.filter((x) => ROUTINES.has(x.kind))) out.push(objectSql(o, sources));
    const tables = Object.values(schema.tables);
    for (const t of tables) out.push(createTableStatement(t, []));
    for (const t of tables) for (const f of t.foreignKeys) out.push(this.addForeignKey(t, f)[0]);
    for (const o of objects.filter((x) => x.kind !== 'sequence' && !ROUTINES.has(x.kind)))
      out.push(objectSql(o, sources));
    for (const v of viewsInOrder(Object.values(schema.views), mentions)) out.push(viewSql(v, sources));
    for (const g of Object.values(schema.triggers)) out.push(triggerSql(g, sources));
    return out;
  },
  createTable(table) {
    return [createTableStatement(table, table.foreignKeys)];
  },
  dropTable(table) {
    return [`DROP TABLE ${q(table.name)}`];
  },
  alterTable(from, to) {
    return alterTableStatements(from, to);
  },
  createIndex: indexStatement,
  dropIndex(table, index) {
    return `ALTER TABLE ${q(table.name)} DROP INDEX ${q(index.name)}`;
  },
  // Enums are inline (`ENUM('a','b')` in the column's type): a change of values is a change of
  // the columns' types, made by alterTable (MODIFY COLUMN); there is no type to create or drop.
  createEnum() {
    return [];
  },
  dropEnum() {
    return [];
  },
  addEnumValue() {
    return null;
  },
  replaceEnum() {
    return null;
  },
  createView(view, sources) {
    return [viewSql(view, sources)];
  },
  dropView(view) {
    return [`DROP VIEW ${q(view.name)}`];
  },
  createTrigger(trigger, sources) {
    return [triggerSql(trigger, sources)];
  },
  dropTrigger(trigger) {
    return [`DROP TRIGGER ${q(trigger.name)}`];
  },
  createObject(object, sources) {
    // generate replaces a changed function by creating it again: MySQL has no CREATE OR REPLACE
    // FUNCTION, so the old one goes first (nothing is checked against a function at CREATE).
    if (object.kind === 'function')
      return [`DROP FUNCTION IF EXISTS ${q(object.name)}`, objectSql(object, sources)];
    return [objectSql(object, sources)];
  },
  afterTables() {
    return [];
  },
  orderObjects(objects) {
    // Routine bodies are not checked at CREATE, and sequences name nothing: all before the tables.
    return { beforeTables: objects, afterTables: [] };
  },
  dropObject(object) {
    return [`DROP ${object.kind.toUpperCase()} ${q(object.name)}`];
  },
  async readSources(conn: Connection) {
    const [{ db }] = await conn.query<{ db: string }>('SELECT DATABASE() AS db');
    const out: ObjectSources = {};
    const show = async (what: string, name: string, column: string): Promise<string | null> => {
      const [row] = await conn.query<Record<string, string | null>>(`SHOW CREATE ${what} ${q(name)}`);
      const text = row?.[column];
      return text ? unqualified(withoutDefiner(text), db) : null;
    };
    const views = await conn.query<{ name: string }>(
      'SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME',
      [db],
    );
    for (const v of views) {
      const text = await show('VIEW', v.name, 'Create View');
      if (text) out[`view:${v.name}`] = text;
    }
    const triggers = await conn.query<{ name: string }>(
      'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME',
      [db],
    );
    for (const g of triggers) {
      const text = await show('TRIGGER', g.name, 'SQL Original Statement');
      if (text) out[`trigger:${g.name}`] = text;
    }
    const routines = await conn.query<{ kind: string; name: string }>(
      'SELECT ROUTINE_TYPE AS kind, ROUTINE_NAME AS name FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME',
      [db],
    );
    for (const r of routines) {
      const kind = r.kind.toLowerCase();
      const text = await show(r.kind, r.name, kind === 'function' ? 'Create Function' : 'Create Procedure');
      if (text) out[`${kind}:${r.name}`] = text;
    }
    const sequences = await conn.query<{ name: string }>(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'SEQUENCE' ORDER BY TABLE_NAME",
      [db],
    );
    for (const s of sequences) {
      const text = await show('SEQUENCE', s.name, 'Create Table');
      if (text) out[`sequence:${s.name}`] = text;
    }
    return out;
  },
  prepareScratch() {
    return [];
  },
  lossyTypeChange(from, to) {
    return mysqlLossyTypeChange(from.type, to.type);
  },
};

/** A model column type (see mysqlColumnType) cut into its parts. */
interface TypeParts {
  base: string;
  /** Length, precision and scale, as written in parentheses. */
  mods: number[];
  unsigned: boolean;
  /** The values of an ENUM or SET. */
  values: string[];
}

/** The parts of a model type: `decimal(10,2) unsigned`, `enum('a','b')`, `varchar(20)`. */
export function mysqlTypeParts(type: string): TypeParts {
  const open = type.indexOf('(');
  const space = type.indexOf(' ');
  const end = open >= 0 && (space < 0 || open < space) ? open : space >= 0 ? space : type.length;
  const base = type.slice(0, end).toLowerCase();
  const values: string[] = [];
  let mods: number[] = [];
  let rest = type.slice(end);
  if (open === end) {
    if (base === 'enum' || base === 'set') {
      // Quoted values, '' inside one being a quote; the list ends at the first ) outside quotes.
      let i = open + 1;
      while (i < type.length && type[i] !== ')') {
        if (type[i] === "'") {
          let v = '';
          i++;
          while (i < type.length && !(type[i] === "'" && type[i + 1] !== "'")) {
            v += type[i];
            i += type[i] === "'" ? 2 : 1;
          }
          values.push(v);
        }
        i++;
      }
      rest = type.slice(i + 1);
    } else {
      const close = type.indexOf(')', open);
      mods = type
        .slice(open + 1, close)
        .split(',')
        .map((m) => Number(m.trim()));
      rest = type.slice(close + 1);
    }
  }
  return { base, mods, unsigned: rest.toLowerCase().split(' ').includes('unsigned'), values };
}

/** Bytes of MySQL's integer types (dev.mysql.com/doc/refman/8.0/en/integer-types.html). */
const INTEGER_BYTES: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, bigint: 8 };
const FRACTIONAL = new Set(['decimal', 'float', 'double']);
const CHARACTER = new Set(['char', 'varchar']);
/** Bytes the TEXT and BLOB types hold at most. */
const LOB_BYTES: Record<string, number> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  longtext: 4_294_967_295,
  tinyblob: 255,
  blob: 65_535,
  mediumblob: 16_777_215,
  longblob: 4_294_967_295,
};
const DATETIMES = new Set(['datetime', 'timestamp']);

/** Digits of the widest value of an integer type, sign excluded. */
function integerDigits(t: TypeParts): number {
  const bytes = INTEGER_BYTES[t.base];
  return String(2n ** BigInt(bytes * 8 - (t.unsigned ? 0 : 1))).length;
}

/**
 * What an ALTER TABLE … MODIFY from model type `from` to `to` does to values already there,
 * when it may lose or reject some; null when every value converts exactly. MySQL and MariaDB in
 * strict mode (their default, STRICT_TRANS_TABLES) refuse a value that does not fit (the ALTER
 * fails and the table is left as it was), but round fractions and drop a time of day silently
 * (a Note, not an error: dev.mysql.com/doc/refman/8.0/en/alter-table.html, "Data truncated").
 */
export function mysqlLossyTypeChange(from: string, to: string): string | null {
  if (from === to) return null;
  const a = mysqlTypeParts(from);
  const b = mysqlTypeParts(to);
  const [n, scale = 0] = b.mods;
  if (CHARACTER.has(b.base) && n !== undefined) {
    const width = CHARACTER.has(a.base)
      ? a.mods[0]
      : a.base in INTEGER_BYTES
        ? integerDigits(a) + (a.unsigned ? 0 : 1)
        : a.base === 'decimal'
          ? (a.mods[0] ?? 10) + 2
          : Number.POSITIVE_INFINITY;
    return width === undefined || width > n ? `values longer than ${n} characters make it fail` : null;
  }
  if (b.base in LOB_BYTES) {
    const max = LOB_BYTES[b.base];
    const longer =
      a.base in LOB_BYTES ? LOB_BYTES[a.base] > max : CHARACTER.has(a.base) && (a.mods[0] ?? 0) > max / 4;
    return longer ? `values longer than ${max} bytes make it fail` : null;
  }
  if (b.base in INTEGER_BYTES) {
    if (FRACTIONAL.has(a.base)) return 'fractions are rounded to whole numbers';
    if (!(a.base in INTEGER_BYTES)) return null;
    if (b.unsigned && !a.unsigned) return 'negative values make it fail';
    const max = (t: TypeParts) => 2n ** BigInt(INTEGER_BYTES[t.base] * 8 - (t.unsigned ? 0 : 1));
    return max(a) > max(b) ? `values out of ${to}'s range make it fail` : null;
  }
  if (b.base === 'decimal') {
    const p = n ?? 10;
    if (a.base === 'decimal') {
      const [ap = 10, as = 0] = a.mods;
      if (as > scale) return `values are rounded to ${scale} decimal places, and larger ones make it fail`;
      return ap - as > p - scale
        ? `values with more than ${p - scale} digits before the point make it fail`
        : null;
    }
    if (a.base === 'float' || a.base === 'double')
      return `values are rounded to ${scale} decimal places, and larger ones make it fail`;
    if (a.base in INTEGER_BYTES)
      return integerDigits(a) > p - scale ? `values with more than ${p - scale} digits make it fail` : null;
    return null;
  }
  if (
    b.base === 'float' &&
    (a.base === 'double' || a.base === 'decimal' || a.base === 'bigint' || a.base === 'int')
  )
    return 'values are rounded to 6 significant digits';
  if (b.base === 'double' && (a.base === 'decimal' || a.base === 'bigint'))
    return 'values are rounded to 15 significant digits';
  if (b.base === 'date' && DATETIMES.has(a.base)) return 'the time of day is dropped';
  if (b.base === 'time' && DATETIMES.has(a.base)) return 'the date is dropped';
  if (b.base === 'timestamp' && (a.base === 'datetime' || a.base === 'date'))
    return 'values outside 1970-01-01 to 2038-01-19 make it fail';
  if ((DATETIMES.has(b.base) || b.base === 'time') && (a.base === b.base || DATETIMES.has(a.base))) {
    const digits = (t: TypeParts) => t.mods[0] ?? 0;
    return digits(b) < digits(a) ? `fractions of a second past ${digits(b)} digits are lost` : null;
  }
  if (b.base === 'enum' || b.base === 'set') {
    const kept = new Set(b.values);
    if (a.base === b.base)
      return a.values.every((v) => kept.has(v)) ? null : 'values no longer in its list make it fail';
    return `values not in (${b.values.map((v) => `'${v}'`).join(', ')}) make it fail`;
  }
  return null;
}
