import {
  type Column,
  type ForeignKey,
  type Index,
  putObject,
  type Schema,
  type SchemaObject,
  type Table,
  type Trigger,
  type View,
} from '../../schema/model.js';
import { normalizeAction, normalizeExpression, normalizeSchema } from '../../schema/normalize.js';
import type { IntrospectOptions, Row } from '../dialect.js';
import { nameFilter } from '../exclude.js';
import type { MysqlConnection } from './driver.js';
import { MYSQL_EXPRESSIONS, quoteIdent } from './quote.js';
import { ScratchConnection } from './scratch.js';
import { noneTouched, noteStatement, type Touched } from './touched.js';

// Each query reads one kind of object for every table of the database at once (one round trip
// per kind, not per table). information_schema is the source; SHOW CREATE TABLE is read only for
// what it alone says (a partitioned table's PARTITION BY clause).

/**
 * Integer types whose display width (int(11)) means nothing; tinyint(1) is kept: it is MySQL's
 * boolean, and so is the width of a ZEROFILL column: clients pad its values to that many digits.
 */
const INTEGER_TYPES = /^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)/;

/**
 * A column type as MySQL reports it (COLUMN_TYPE), lowercased, with integer display widths
 * dropped (MariaDB and MySQL before 8.0.19 print int(11), MySQL 8.0.19+ prints int) except
 * tinyint(1), kept as the boolean it stands for, and ZEROFILL columns' widths (`int(5) zerofill`
 * shows 42 as 00042); `unsigned`, `zerofill`, lengths, precisions and inline ENUM/SET values are kept.
 */
export function mysqlColumnType(columnType: string): string {
  const t = columnType.trim().replace(/\s+/g, ' ');
  if (/^(enum|set)\(/i.test(t)) return t.replace(/^(enum|set)/i, (m) => m.toLowerCase());
  const lower = t.toLowerCase();
  if (/^tinyint\(1\)/.test(lower) || /\bzerofill\b/.test(lower)) return lower;
  return lower.replace(INTEGER_TYPES, '$1');
}

/** Drops charset introducers (_utf8mb4'x') MySQL 8 writes into CHECK and generated expressions. */
function withoutIntroducers(expr: string): string {
  return expr.replace(/_(utf8mb4|utf8mb3|utf8|latin1|binary|ascii)(?=')/gi, '');
}

/** An expression from the catalog, normalized with MySQL's lexical rules. */
function expr(text: string): string {
  return normalizeExpression(
    withoutIntroducers(text).replace(/\b(current_timestamp|now|localtimestamp|localtime)\(\)/gi, '$1'),
    MYSQL_EXPRESSIONS,
  );
}

/**
 * A column default as both servers mean it. MariaDB (10.2.7+) reports literals quoted, NULL as
 * the word NULL, and expressions as written; MySQL 8 reports literals unquoted and marks
 * expression defaults with DEFAULT_GENERATED in EXTRA.
 */
function columnDefault(
  raw: string | null,
  extra: string,
  type: string,
  nullable: boolean,
  mariadb: boolean,
): string | null {
  if (raw === null) return null;
  if (mariadb) {
    if (raw === 'NULL') return nullable ? null : 'null';
    return expr(raw);
  }
  if (/DEFAULT_GENERATED/i.test(extra) || /^current_timestamp/i.test(raw)) return expr(raw);
  const numeric =
    /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|bit|year)/.test(type);
  if (numeric && /^-?[0-9.e+-]+$/i.test(raw)) return expr(raw);
  return expr(`'${raw.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`);
}

/** Column types whose values are bytes, not characters. */
const BINARY_TYPE = /^(binary|varbinary|tinyblob|blob|mediumblob|longblob)\b/;

/** A constant default (not an expression, which DEFAULT() would evaluate anew). */
function literalDefault(raw: string, extra: string, mariadb: boolean): boolean {
  return mariadb ? raw.startsWith("'") : !/DEFAULT_GENERATED/i.test(extra);
}

/**
 * The exact bytes of binary columns' constant defaults, as `x'…'`. The server reports such a
 * default as text (information_schema and SHOW CREATE TABLE alike), so bytes that are not
 * UTF-8 come back as `?` and x'00ff' reads the same as x'00fe'. DEFAULT(col) gives the bytes
 * themselves; the outer join yields one row from an empty table too, reading no row of it.
 */
async function readBinaryDefaults(
  conn: MysqlConnection,
  db: string,
  byTable: Map<string, Column[]>,
): Promise<void> {
  for (const [name, cols] of byTable) {
    const list = cols.map((c, i) => `HEX(DEFAULT(t.${quoteIdent(c.name)})) AS d${i}`).join(', ');
    const [row] = await conn.query<Record<string, string | null>>(
      `SELECT ${list} FROM ${quoteIdent(db)}.${quoteIdent(name)} AS t RIGHT JOIN (SELECT 1) AS one ON FALSE`,
    );
    cols.forEach((c, i) => {
      const hex = row?.[`d${i}`];
      if (typeof hex === 'string') c.default = `x'${hex.toLowerCase()}'`;
    });
  }
}

interface TableRow extends Row {
  name: string;
  type: string;
  engine: string | null;
  collation: string | null;
  create_options: string | null;
}

interface ColumnRow extends Row {
  table_name: string;
  name: string;
  column_type: string;
  nullable: string;
  column_default: string | null;
  extra: string | null;
  generation_expression: string | null;
  collation: string | null;
}

interface StatisticRow extends Row {
  table_name: string;
  index_name: string;
  non_unique: number | string;
  seq: number | string;
  column_name: string | null;
  sub_part: number | string | null;
  collation: string | null;
  index_type: string;
  expression?: string | null;
  ignored: number | string;
}

interface ForeignKeyRow extends Row {
  table_name: string;
  name: string;
  referenced_schema: string;
  referenced_table: string;
  update_rule: string;
  delete_rule: string;
  column_name: string;
  referenced_column: string;
}

/** What one introspection knows about the server and the database before reading objects. */
interface Server {
  db: string;
  version: string;
  mariadb: boolean;
  /** The database's default collation (a table's own is compared with it). */
  defaultCollation: string | undefined;
  /** @@lower_case_table_names: 0 compares table and database names as written, 1 and 2 without case. */
  lowerCaseNames: number;
}

async function readServer(conn: MysqlConnection): Promise<Server> {
  const [{ db, version, lctn }] = await conn.query<{ db: string; version: string; lctn: number | string }>(
    'SELECT DATABASE() AS db, VERSION() AS version, @@lower_case_table_names AS lctn',
  );
  const [defaults] = await conn.query<{ collation: string }>(
    'SELECT DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
    [db],
  );
  return {
    db,
    version,
    mariadb: /mariadb/i.test(version),
    defaultCollation: defaults?.collation,
    lowerCaseNames: Number(lctn),
  };
}

/**
 * `AND column IN (?, …)` and its values when only `names` are read; nothing when all are.
 * information_schema compares names by its columns' collation (without case on MariaDB), so the
 * caller passes every spelling it needs and keeps only the rows it asked for.
 */
function onlyNames(column: string, names: readonly string[] | null): { sql: string; params: string[] } {
  if (names === null) return { sql: '', params: [] };
  return { sql: ` AND ${column} IN (${names.map(() => '?').join(', ')})`, params: [...names] };
}

/** What the replay keeps between introspections of its scratch database (see {@link introspectMysql}). */
interface ReplayState {
  /** The scratch connection's statement log this state follows. */
  log: readonly string[];
  /** How many statements of `log` the model below already reflects. */
  seen: number;
  server: Server;
  schema: Schema;
}

const REPLAY_KEY = 'mysql replay';

/**
 * Reads the live schema of the connection's database into the model. Read-only.
 *
 * In the doctor's replay (a {@link ScratchConnection} and a memo) only what the statements run
 * since the previous read touched is read again and merged into the previous model (see
 * touched.ts), through the same per-table queries as a full read, restricted by name. Anything
 * those statements do not say for certain, code that may have reached the database another way
 * (`options.untracked`), or an event (the scheduler may run it at any moment) means a full read.
 */
export async function introspectMysql(conn: MysqlConnection, options: IntrospectOptions): Promise<Schema> {
  const excluded = nameFilter(options.exclude);
  const log = conn instanceof ScratchConnection ? conn.ran : null;
  const state = options.memo?.get(REPLAY_KEY) as ReplayState | undefined;
  if (log !== null && state !== undefined && state.log === log && !options.untracked) {
    const touched = touchedSince(state, log);
    if (touched !== null) {
      state.schema = await readTouched(conn, state, touched, excluded);
      state.seen = log.length;
      return state.schema;
    }
  }
  const server = await readServer(conn);
  const schema = await readEverything(conn, server, excluded);
  if (log !== null && options.memo) options.memo.set(REPLAY_KEY, { log, seen: log.length, server, schema });
  return schema;
}

/** What the statements run since `state` touched, or null when a full read is needed. */
function touchedSince(state: ReplayState, log: readonly string[]): Touched | null {
  const objects = Object.values(state.schema.objects ?? {});
  if (objects.some((o) => o.kind === 'event')) return null;
  const { db, lowerCaseNames } = state.server;
  const ctx = {
    database: db,
    sameDatabase: (q: string) => q === db || (lowerCaseNames !== 0 && q.toLowerCase() === db.toLowerCase()),
  };
  const touched = noneTouched();
  for (let i = state.seen; i < log.length && !touched.all; i++) noteStatement(touched, log[i]!, ctx);
  return touched.all ? null : touched;
}

/** Every object of the database. */
async function readEverything(
  conn: MysqlConnection,
  server: Server,
  excluded: { has(name: string): boolean },
): Promise<Schema> {
  const relations = await readRelations(conn, server, null, excluded);
  const schema: Schema = {
    dialect: 'mysql',
    tables: relations.tables,
    enums: {},
    views: await readViews(conn, server, excluded),
    triggers: await readTriggers(conn, server.db, null, excluded),
    objects: relations.objects,
  };
  await readRoutines(conn, server.db, schema);
  await readEvents(conn, server.db, schema);
  return normalizeSchema(schema);
}

const lower = (name: string) => name.toLowerCase();

/**
 * The previous model with what `touched` names read again: tables and sequences by name (and
 * the tables whose foreign keys reference them: InnoDB rewrites a child's key when a parent
 * column is renamed), triggers by table, views, routines and events whole.
 */
async function readTouched(
  conn: MysqlConnection,
  state: ReplayState,
  touched: Touched,
  excluded: { has(name: string): boolean },
): Promise<Schema> {
  const previous = state.schema;
  const tables = { ...previous.tables };
  let objects = { ...previous.objects };
  let views = previous.views;
  let triggers = previous.triggers;

  const relations = new Set(touched.relations);
  const touchedLower = new Set([...relations].map(lower));
  for (const t of Object.values(previous.tables))
    if (t.foreignKeys.some((fk) => touchedLower.has(lower(fk.referencedTable)))) relations.add(t.name);
  if (relations.size > 0) {
    const wanted = new Set([...relations].map(lower));
    const spellings = new Set([...relations, ...wanted]);
    for (const name of Object.keys(tables)) {
      if (!wanted.has(lower(name))) continue;
      spellings.add(name);
      delete tables[name];
    }
    for (const [key, o] of Object.entries(objects)) {
      if (o.kind !== 'sequence' || !wanted.has(lower(o.name))) continue;
      spellings.add(o.name);
      delete objects[key];
    }
    const read = await readRelations(conn, state.server, [...spellings], excluded);
    for (const t of Object.values(read.tables)) if (wanted.has(lower(t.name))) tables[t.name] = t;
    for (const [key, o] of Object.entries(read.objects)) if (wanted.has(lower(o.name))) objects[key] = o;
  }

  if (touched.triggers) {
    triggers = await readTriggers(conn, state.server.db, null, excluded);
  } else if (touched.triggerTables.size > 0) {
    const wanted = new Set([...touched.triggerTables].map(lower));
    const spellings = new Set([...touched.triggerTables, ...wanted]);
    triggers = { ...triggers };
    for (const [name, trigger] of Object.entries(triggers)) {
      if (!wanted.has(lower(trigger.table))) continue;
      spellings.add(trigger.table);
      delete triggers[name];
    }
    const read = await readTriggers(conn, state.server.db, [...spellings], excluded);
    for (const [name, trigger] of Object.entries(read))
      if (wanted.has(lower(trigger.table))) triggers[name] = trigger;
  }
  if (touched.views) views = await readViews(conn, state.server, excluded);

  const schema: Schema = { dialect: 'mysql', tables, enums: {}, views, triggers, objects };
  if (touched.routines) {
    objects = Object.fromEntries(
      Object.entries(objects).filter(([, o]) => o.kind === 'sequence' || o.kind === 'event'),
    );
    schema.objects = objects;
    await readRoutines(conn, state.server.db, schema);
  }
  if (touched.events) {
    schema.objects = Object.fromEntries(
      Object.entries(schema.objects ?? {}).filter(([, o]) => o.kind !== 'event'),
    );
    await readEvents(conn, state.server.db, schema);
  }
  return normalizeSchema(schema);
}

/**
 * Tables (with their columns, keys, indexes, foreign keys and checks) and sequences: all of
 * them, or only those named. The one path for both, so a partial read cannot drift from a full one.
 */
async function readRelations(
  conn: MysqlConnection,
  server: Server,
  names: readonly string[] | null,
  excluded: { has(name: string): boolean },
): Promise<{ tables: Record<string, Table>; objects: Record<string, SchemaObject> }> {
  const { db, mariadb, version } = server;
  const holder: Schema = { dialect: 'mysql', tables: {}, enums: {}, views: {}, triggers: {}, objects: {} };
  const only = onlyNames('TABLE_NAME', names);
  const tables = await conn.query<TableRow>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, ENGINE AS engine, TABLE_COLLATION AS collation, CREATE_OPTIONS AS create_options
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?${only.sql} ORDER BY TABLE_NAME`,
    [db, ...only.params],
  );
  const tableCollation = new Map<string, string | null>();
  for (const t of tables) {
    if (excluded.has(t.name)) continue;
    if (t.type === 'SEQUENCE') {
      putObject(holder, {
        kind: 'sequence',
        name: t.name,
        definition: await sequenceDefinition(conn, t.name),
      });
      continue;
    }
    // MariaDB reports a table WITH SYSTEM VERSIONING as a type of its own: it keeps every row's
    // history, and queries can ask FOR SYSTEM_TIME.
    const versioned = t.type === 'SYSTEM VERSIONED';
    if (t.type !== 'BASE TABLE' && !versioned) continue;
    const tableOptions: string[] = versioned ? ['with system versioning'] : [];
    if (t.engine && t.engine.toLowerCase() !== 'innodb')
      tableOptions.push(`engine ${t.engine.toLowerCase()}`);
    if (t.collation && t.collation !== server.defaultCollation) tableOptions.push(`collate ${t.collation}`);
    if (/partitioned/i.test(t.create_options ?? '')) tableOptions.push(await partitionClause(conn, t.name));
    if (/^(mrg_myisam|merge)$/i.test(t.engine ?? ''))
      tableOptions.push(...(await mergeOptions(conn, t.name)));
    tableCollation.set(t.name, t.collation);
    holder.tables[t.name] = {
      name: t.name,
      columns: [],
      primaryKey: null,
      uniques: [],
      indexes: [],
      foreignKeys: [],
      checks: [],
      options: tableOptions,
    };
  }
  // With names, an empty answer needs no further query: nothing of theirs exists.
  if (Object.keys(holder.tables).length === 0) return { tables: {}, objects: holder.objects ?? {} };
  const table = (name: string): Table | undefined => holder.tables[name];

  const columns = await conn.query<ColumnRow>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, COLUMN_TYPE AS column_type, IS_NULLABLE AS nullable,
            COLUMN_DEFAULT AS column_default, EXTRA AS extra, GENERATION_EXPRESSION AS generation_expression,
            COLLATION_NAME AS collation
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?${only.sql} ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [db, ...only.params],
  );
  const binaryDefaults = new Map<string, Column[]>();
  for (const c of columns) {
    const t = table(c.table_name);
    if (!t) continue;
    const extra = c.extra ?? '';
    const type = mysqlColumnType(c.column_type);
    const nullable = c.nullable === 'YES';
    const generatedKind = /STORED GENERATED|PERSISTENT/i.test(extra) ? 'stored' : 'virtual';
    // A system-versioned table's own period columns: MariaDB reports `ROW START`/`ROW END` as
    // their generation expression.
    const rowPeriod = /^ROW (START|END)$/i.exec(c.generation_expression ?? '');
    const generated = rowPeriod
      ? `row ${rowPeriod[1]!.toLowerCase()}`
      : c.generation_expression
        ? `${expr(c.generation_expression)} ${generatedKind}`
        : null;
    let def = generated ? null : columnDefault(c.column_default, extra, type, nullable, mariadb);
    const onUpdate = /on update (current_timestamp(\(\d*\))?)/i.exec(extra);
    if (onUpdate) def = `${def ?? 'null'} on update ${expr(onUpdate[1]!)}`;
    const column: Column = {
      name: c.name,
      type,
      nullable,
      default: def,
      generated,
      collation: c.collation && c.collation !== tableCollation.get(c.table_name) ? c.collation : null,
      identity: /auto_increment/i.test(extra) ? 'auto_increment' : null,
    };
    // INVISIBLE leaves the column out of SELECT * and of INSERTs without a column list; WITHOUT
    // SYSTEM VERSIONING keeps its changes out of the table's history.
    const extras = [
      ...(/\bINVISIBLE\b/i.test(extra) ? ['invisible'] : []),
      ...(/\bWITHOUT SYSTEM VERSIONING\b/i.test(extra) ? ['without system versioning'] : []),
    ];
    if (extras.length > 0) column.extras = extras;
    t.columns.push(column);
    if (
      def !== null &&
      !onUpdate &&
      BINARY_TYPE.test(type) &&
      literalDefault(c.column_default!, extra, mariadb)
    )
      binaryDefaults.set(t.name, [...(binaryDefaults.get(t.name) ?? []), column]);
  }
  await readBinaryDefaults(conn, db, binaryDefaults);

  await readIndexes(conn, db, mariadb, version, names, table);
  await readForeignKeys(conn, db, names, table);
  await readChecks(conn, db, mariadb, names, table);
  if (mariadb) await readPeriods(conn, holder);
  for (const t of Object.values(holder.tables)) {
    withoutImpliedIndexes(t);
    if (mariadb) mariadbJsonColumns(t);
  }
  return { tables: holder.tables, objects: holder.objects ?? {} };
}

/**
 * Drops the indexes InnoDB creates by itself for a foreign key that no index served: one on
 * exactly the key's columns, named after the constraint (or, for a key without a name, after
 * its first column, `_2`… when taken). A foreign key cannot exist without such an index, and
 * the other dialects have none, so it is part of the key here, not an index of its own.
 */
function withoutImpliedIndexes(t: Table): void {
  t.indexes = t.indexes.filter((i) => {
    if (i.unique || i.method !== null || i.extras || i.keys.some((k) => k.column === null || k.descending))
      return true;
    const columns = i.keys.map((k) => k.column).join('\0');
    return !t.foreignKeys.some(
      (fk) =>
        fk.columns.join('\0') === columns &&
        (i.name === fk.name || new RegExp(`^${escapeRegExp(fk.columns[0] ?? '')}(_\\d+)?$`).test(i.name)),
    );
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * MariaDB's JSON is LONGTEXT with a CHECK (json_valid(column)) named after the column: reported
 * as the json it was declared, as MySQL 8 reports it.
 */
function mariadbJsonColumns(t: Table): void {
  for (const c of t.columns) {
    if (c.type !== 'longtext') continue;
    const check = t.checks.find(
      (k) => k.name === c.name && k.expression === expr(`json_valid(${quoteIdent(c.name)})`),
    );
    if (!check) continue;
    c.type = 'json';
    // utf8mb4_bin comes with the JSON alias, not from the declaration.
    if (c.collation === 'utf8mb4_bin') c.collation = null;
    t.checks = t.checks.filter((k) => k !== check);
  }
}

/** The column types an application-time PERIOD may be over. */
const PERIOD_TYPE = /^(date|datetime|timestamp)(\(\d+\))?$/;

/**
 * MariaDB's application-time periods (`PERIOD FOR p (s, e)`) and the keys over them (`UNIQUE
 * (id, p WITHOUT OVERLAPS)`), which no catalog table before 11.4 reports: read from SHOW CREATE
 * TABLE, only for tables that can have one: a period comes with a CHECK (start < end) named
 * after it, over two NOT NULL columns of one date or time type, so most schemas cost no extra
 * round trip. Each becomes a table option as the server writes it; a
 * WITHOUT OVERLAPS key replaces the plain key STATISTICS reports for it (over the period's
 * columns), which is another constraint. The system-time period (PERIOD FOR SYSTEM_TIME,
 * unquoted) is left out: the ROW START and ROW END columns say it.
 */
async function readPeriods(conn: MysqlConnection, schema: Schema): Promise<void> {
  for (const t of Object.values(schema.tables)) {
    const periodColumns = new Map(
      t.columns.filter((c) => !c.nullable && PERIOD_TYPE.test(c.type)).map((c) => [c.name, c.type]),
    );
    const unquoted = (name: string) => name.replace(/^`(.*)`$/, '$1').replace(/``/g, '`');
    const candidate = t.checks.some((k) => {
      const m = /^(\S+) < (\S+)$/.exec(k.expression);
      const [start, end] = m ? [unquoted(m[1]!), unquoted(m[2]!)] : [];
      return (
        start !== undefined &&
        end !== undefined &&
        periodColumns.get(start) === periodColumns.get(end) &&
        periodColumns.has(start)
      );
    });
    if (!candidate) continue;
    const [row] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${quoteIdent(t.name)}`);
    for (const line of (row?.['Create Table'] ?? '').split('\n')) {
      const item = line.trim().replace(/,$/, '');
      const period = /^PERIOD FOR `((?:[^`]|``)*)` /i.exec(item);
      if (period) {
        t.options.push(item.replace(/^PERIOD FOR/i, 'period for'));
        // The period's own CHECK (start < end), named after it, comes and goes with it.
        const name = period[1]!.replace(/``/g, '`');
        t.checks = t.checks.filter((k) => k.name !== name);
      }
      const key = /^(PRIMARY KEY|UNIQUE KEY `((?:[^`]|``)*)`) (\(.* WITHOUT OVERLAPS\))$/i.exec(item);
      if (!key) continue;
      const name = key[2]?.replace(/``/g, '`');
      if (name === undefined) t.primaryKey = null;
      const own = name !== undefined && t.indexes.some((i) => i.name === name);
      t.uniques = t.uniques.filter((u) => u.name !== name);
      t.indexes = t.indexes.filter((i) => i.name !== name);
      // A key named as MySQL names one made without a name is a constraint: its name is not compared.
      const label =
        name === undefined ? 'primary key' : own ? `unique key ${quoteIdent(name)}` : 'unique key';
      t.options.push(`${label} ${key[3]!.replace(/WITHOUT OVERLAPS/i, 'without overlaps')}`);
    }
  }
}

/**
 * A MERGE table's UNION (the tables it reads) and INSERT_METHOD (where its INSERTs go), which
 * only SHOW CREATE TABLE says: what the table holds, not how it is stored.
 */
async function mergeOptions(conn: MysqlConnection, name: string): Promise<string[]> {
  const [row] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${quoteIdent(name)}`);
  const text = row?.['Create Table'] ?? '';
  // The options follow the column list's `) ENGINE=`.
  const tail = text.slice(Math.max(0, text.search(/\)\s*ENGINE=/i)));
  const union = /\bUNION=\(([^)]*)\)/i.exec(tail);
  const method = /\bINSERT_METHOD=(\w+)/i.exec(tail);
  return [
    ...(union ? [`union (${union[1]})`] : []),
    ...(method ? [`insert_method ${method[1]!.toLowerCase()}`] : []),
  ];
}

/** The PARTITION BY clause, which only SHOW CREATE TABLE gives whole. */
async function partitionClause(conn: MysqlConnection, name: string): Promise<string> {
  const [row] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${quoteIdent(name)}`);
  const text = row?.['Create Table'] ?? '';
  const at = text.search(/\/\*!50100 PARTITION BY|PARTITION BY/i);
  const clause =
    at < 0
      ? 'partitioned'
      : text
          .slice(at)
          .replace(/^\/\*!50100 /, '')
          .replace(/\s*\*\/\s*$/, '');
  return clause.replace(/\s+/g, ' ').toLowerCase();
}

/** True when the server's version string says at least major.minor. */
function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = (/^(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  return a > major || (a === major && b >= minor);
}

async function readIndexes(
  conn: MysqlConnection,
  db: string,
  mariadb: boolean,
  version: string,
  names: readonly string[] | null,
  table: (name: string) => Table | undefined,
): Promise<void> {
  const only = onlyNames('TABLE_NAME', names);
  // MySQL 8.0.13+ has functional key parts (EXPRESSION); MariaDB has none (it indexes virtual columns).
  const expression = mariadb ? 'NULL' : 'EXPRESSION';
  // An index the optimizer is told not to use (MariaDB 10.6+ IGNORED, MySQL 8 INVISIBLE) is
  // still kept up to date and still enforces UNIQUE, but no query plan uses it: not the index
  // the migrations made. Older servers have neither.
  const ignored = mariadb
    ? versionAtLeast(version, 10, 6)
      ? "IGNORED = 'YES'"
      : '0'
    : versionAtLeast(version, 8, 0)
      ? "IS_VISIBLE = 'NO'"
      : '0';
  const rows = await conn.query<StatisticRow>(
    `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, NON_UNIQUE AS non_unique, SEQ_IN_INDEX AS seq,
            COLUMN_NAME AS column_name, SUB_PART AS sub_part, COLLATION AS collation, INDEX_TYPE AS index_type,
            ${expression} AS expression, ${ignored} AS ignored
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?${only.sql} ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [db, ...only.params],
  );
  const groups = new Map<string, StatisticRow[]>();
  for (const r of rows) {
    const key = `${r.table_name}\0${r.index_name}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const parts of groups.values()) {
    const first = parts[0]!;
    const t = table(first.table_name);
    if (!t) continue;
    const unique = Number(first.non_unique) === 0;
    const plain = parts.every((p) => p.column_name !== null && p.sub_part === null && p.collation !== 'D');
    if (first.index_name === 'PRIMARY') {
      t.primaryKey = parts.map((p) => p.column_name ?? '');
      continue;
    }
    // A UNIQUE constraint and a unique index are one thing in MySQL. One named as MySQL names an
    // unnamed UNIQUE (after its first column, `_2`… when taken) is reported as a constraint,
    // one with a name of its own as an index, as CREATE UNIQUE INDEX makes on the other dialects.
    const autoNamed = new RegExp(`^${escapeRegExp(parts[0]?.column_name ?? '')}(_\\d+)?$`).test(
      first.index_name,
    );
    const isIgnored = Number(first.ignored) === 1;
    if (unique && plain && first.index_type === 'BTREE' && autoNamed && !isIgnored) {
      t.uniques.push({ name: first.index_name, columns: parts.map((p) => p.column_name!) });
      continue;
    }
    const extras: string[] = [];
    if (isIgnored) extras.push('ignored by the optimizer');
    const index: Index = {
      name: first.index_name,
      unique,
      keys: parts.map((p, i) => {
        if (p.sub_part !== null) extras.push(`prefix length ${Number(p.sub_part)} on key ${i + 1}`);
        return {
          column: p.column_name,
          expression: p.column_name === null && p.expression ? expr(p.expression) : null,
          descending: p.collation === 'D',
          collation: null,
        };
      }),
      where: null,
      method: first.index_type === 'BTREE' ? null : first.index_type.toLowerCase(),
    };
    if (extras.length > 0) index.extras = extras;
    t.indexes.push(index);
  }
}

async function readForeignKeys(
  conn: MysqlConnection,
  db: string,
  names: readonly string[] | null,
  table: (name: string) => Table | undefined,
): Promise<void> {
  const only = onlyNames('rc.TABLE_NAME', names);
  const onlyKeys = onlyNames('k.TABLE_NAME', names);
  const rows = await conn.query<ForeignKeyRow>(
    `SELECT rc.TABLE_NAME AS table_name, rc.CONSTRAINT_NAME AS name, k.REFERENCED_TABLE_SCHEMA AS referenced_schema,
            rc.REFERENCED_TABLE_NAME AS referenced_table,
            rc.UPDATE_RULE AS update_rule, rc.DELETE_RULE AS delete_rule,
            k.COLUMN_NAME AS column_name, k.REFERENCED_COLUMN_NAME AS referenced_column
       FROM information_schema.REFERENTIAL_CONSTRAINTS rc
       JOIN information_schema.KEY_COLUMN_USAGE k
         ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME
        AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME
      WHERE rc.CONSTRAINT_SCHEMA = ?${only.sql}
        AND k.CONSTRAINT_SCHEMA = ? AND k.TABLE_SCHEMA = ?${onlyKeys.sql}
      ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    // The join's conditions reach KEY_COLUMN_USAGE only as constants: without them MariaDB reads
    // it for every database on the server (0.8 s for 300 keys against 0.1 s; 0.5 s against 5 ms
    // for one table).
    [db, ...only.params, db, db, ...onlyKeys.params],
  );
  const byName = new Map<string, ForeignKey & { table: string }>();
  for (const r of rows) {
    const key = `${r.table_name}\0${r.name}`;
    let fk = byName.get(key);
    if (!fk) {
      fk = {
        table: r.table_name,
        name: r.name,
        columns: [],
        referencedTable: r.referenced_table,
        referencedColumns: [],
        // InnoDB checks NO ACTION at once, as RESTRICT: one action under the name the other
        // dialects give a key declared without one (MariaDB reports that as RESTRICT, MySQL 8
        // as NO ACTION).
        onDelete: normalizeAction(r.delete_rule === 'RESTRICT' ? 'NO ACTION' : r.delete_rule),
        onUpdate: normalizeAction(r.update_rule === 'RESTRICT' ? 'NO ACTION' : r.update_rule),
      };
      // A key may name a table of another database: not the same-named table of this one.
      if (r.referenced_schema !== db) fk.extras = [`references database ${r.referenced_schema}`];
      byName.set(key, fk);
    }
    fk.columns.push(r.column_name);
    fk.referencedColumns.push(r.referenced_column);
  }
  for (const { table: name, ...fk } of byName.values()) table(name)?.foreignKeys.push(fk);
}

async function readChecks(
  conn: MysqlConnection,
  db: string,
  mariadb: boolean,
  names: readonly string[] | null,
  table: (name: string) => Table | undefined,
): Promise<void> {
  const only = onlyNames(mariadb ? 'TABLE_NAME' : 'tc.TABLE_NAME', names);
  // MariaDB names CHECKs per table (and a column-level CHECK after its column); MySQL 8.0.16+
  // per database, with the table only in TABLE_CONSTRAINTS.
  const rows = await conn.query<{ table_name: string; name: string; clause: string }>(
    mariadb
      ? `SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause
           FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?${only.sql}`
      : `SELECT tc.TABLE_NAME AS table_name, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause
           FROM information_schema.TABLE_CONSTRAINTS tc
           JOIN information_schema.CHECK_CONSTRAINTS cc
             ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
          WHERE tc.CONSTRAINT_TYPE = 'CHECK' AND tc.TABLE_SCHEMA = ?${only.sql}`,
    [db, ...only.params],
  );
  for (const r of rows) table(r.table_name)?.checks.push({ name: r.name, expression: expr(r.clause) });
}

/**
 * The sql_mode a trigger, routine or event was created under, which it runs under: it decides
 * what its body means (PIPES_AS_CONCAT makes `||` concatenate, strict modes make a bad value an
 * error). Mode names sorted, as the server may list them in any order.
 */
function underSqlMode(mode: string | null): string {
  const names = (mode ?? '')
    .split(',')
    .map((m) => m.trim().toLowerCase())
    .filter((m) => m !== '')
    .sort();
  return ` [sql_mode ${names.join(',')}]`;
}

/** Removes `db`. qualifiers MySQL writes into stored view and trigger text. */
function unqualified(text: string, db: string): string {
  return text.split(`${quoteIdent(db)}.`).join('');
}

async function readViews(
  conn: MysqlConnection,
  server: Server,
  excluded: { has(name: string): boolean },
): Promise<Record<string, View>> {
  const { db, mariadb } = server;
  const views: Record<string, View> = {};
  // MariaDB's VIEWS has ALGORITHM; MySQL's has not, and SHOW CREATE VIEW says it.
  const rows = await conn.query<{
    name: string;
    definition: string;
    check_option: string;
    algorithm: string | null;
  }>(
    `SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition, CHECK_OPTION AS check_option,
            ${mariadb ? 'ALGORITHM' : 'NULL'} AS algorithm
       FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?`,
    [db],
  );
  for (const r of rows) {
    if (excluded.has(r.name)) continue;
    const check =
      r.check_option && r.check_option !== 'NONE' ? ` with ${r.check_option.toLowerCase()} check option` : '';
    // TEMPTABLE makes a view read-only and MERGE refuses what cannot be merged: the algorithm
    // the view was created with is part of what it does (UNDEFINED, the default, is left out).
    const algorithm = (r.algorithm ?? (await viewAlgorithm(conn, r.name))).toLowerCase();
    const algorithmText = algorithm === 'undefined' ? '' : ` algorithm ${algorithm}`;
    views[r.name] = {
      name: r.name,
      definition: expr(unqualified(r.definition, db)) + check + algorithmText,
    };
  }
  return views;
}

/** The triggers of every table, or of the tables named. */
async function readTriggers(
  conn: MysqlConnection,
  db: string,
  tables: readonly string[] | null,
  excluded: { has(name: string): boolean },
): Promise<Record<string, Trigger>> {
  const only = onlyNames('EVENT_OBJECT_TABLE', tables);
  const triggers: Record<string, Trigger> = {};
  const rows = await conn.query<{
    name: string;
    table_name: string;
    timing: string;
    event: string;
    body: string;
    action_order: number | string;
    sql_mode: string;
  }>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS table_name, ACTION_TIMING AS timing,
            EVENT_MANIPULATION AS event, ACTION_STATEMENT AS body, ACTION_ORDER AS action_order,
            SQL_MODE AS sql_mode
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?${only.sql}
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [db, ...only.params],
  );
  // Triggers of one table, timing and event fire in ACTION_ORDER (FOLLOWS/PRECEDES set it), and
  // a later one sees what an earlier one did to NEW: the order is part of what each does. It is
  // held as the trigger it follows, as CREATE TRIGGER says it, so a trigger added at the end
  // changes no other trigger's definition.
  let previous: { table: string; timing: string; event: string; name: string } | null = null;
  for (const r of rows) {
    const follows =
      previous &&
      previous.table === r.table_name &&
      previous.timing === r.timing &&
      previous.event === r.event &&
      Number(r.action_order) > 1
        ? ` follows ${quoteIdent(previous.name)}`
        : '';
    previous = { table: r.table_name, timing: r.timing, event: r.event, name: r.name };
    if (excluded.has(r.table_name)) continue;
    triggers[r.name] = {
      name: r.name,
      table: r.table_name,
      definition: `${r.timing.toLowerCase()} ${r.event.toLowerCase()} for each row${follows} ${expr(unqualified(r.body, db))}${underSqlMode(r.sql_mode)}`,
    };
  }
  return triggers;
}

async function readRoutines(conn: MysqlConnection, db: string, schema: Schema): Promise<void> {
  const rows = await conn.query<{
    kind: string;
    name: string;
    returns: string | null;
    body: string | null;
    params: string | null;
    is_deterministic: string;
    data_access: string;
    security: string;
    sql_mode: string;
  }>(
    `SELECT r.ROUTINE_TYPE AS kind, r.ROUTINE_NAME AS name, r.DTD_IDENTIFIER AS returns, r.ROUTINE_DEFINITION AS body,
            r.IS_DETERMINISTIC AS is_deterministic, r.SQL_DATA_ACCESS AS data_access, r.SECURITY_TYPE AS security,
            r.SQL_MODE AS sql_mode,
            (SELECT GROUP_CONCAT(CONCAT_WS(' ', p.PARAMETER_MODE, p.PARAMETER_NAME, p.DTD_IDENTIFIER) ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
               FROM information_schema.PARAMETERS p
              WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.SPECIFIC_NAME
                AND p.ROUTINE_TYPE = r.ROUTINE_TYPE AND p.ORDINAL_POSITION > 0) AS params
       FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = ?`,
    [db],
  );
  for (const r of rows) {
    const kind = r.kind.toLowerCase();
    const returns = r.returns ? ` returns ${r.returns.toLowerCase()}` : '';
    // The characteristics change what the server lets the routine do and how it caches or
    // replicates its calls: DETERMINISTIC, the data access it declares, and whose privileges
    // it runs with (a function's SECURITY DEFINER counts on PostgreSQL too). COMMENT does not.
    const characteristics = [
      r.is_deterministic === 'YES' ? 'deterministic' : 'not deterministic',
      r.data_access.toLowerCase(),
      `sql security ${r.security.toLowerCase()}`,
    ].join(' ');
    putObject(schema, {
      kind,
      name: r.name,
      definition: `${kind} (${(r.params ?? '').toLowerCase()})${returns} ${characteristics} ${expr(unqualified(r.body ?? '', db))}${underSqlMode(r.sql_mode)}`,
    });
  }
}

/**
 * Scheduled events: what runs, how often, whether enabled, and whether it is kept once done.
 * Their start, end and AT times are not read: MySQL evaluates them (and fills in STARTS with
 * the time of creation when none is given) as the event is created, so a replay could never
 * reproduce them (README "Not compared").
 */
async function readEvents(conn: MysqlConnection, db: string, schema: Schema): Promise<void> {
  const rows = await conn.query<{
    name: string;
    type: string;
    interval_value: string | null;
    interval_field: string | null;
    status: string;
    on_completion: string;
    body: string;
    sql_mode: string;
  }>(
    `SELECT EVENT_NAME AS name, EVENT_TYPE AS type, INTERVAL_VALUE AS interval_value, INTERVAL_FIELD AS interval_field,
            STATUS AS status, ON_COMPLETION AS on_completion, EVENT_DEFINITION AS body, SQL_MODE AS sql_mode
       FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`,
    [db],
  );
  for (const r of rows) {
    const schedule =
      r.type === 'RECURRING'
        ? `every ${r.interval_value} ${(r.interval_field ?? '').toLowerCase()}`
        : 'at a time';
    putObject(schema, {
      kind: 'event',
      name: r.name,
      definition: `event ${schedule} ${r.status.toLowerCase()} on completion ${r.on_completion.toLowerCase()} do ${expr(unqualified(r.body, db))}${underSqlMode(r.sql_mode)}`,
    });
  }
}

/**
 * A MariaDB sequence's options, read from the sequence itself (its one row holds them; no
 * catalog table does before 11.5). The next value and the cycle count are its position, not its
 * definition, and are left out.
 */
async function sequenceDefinition(conn: MysqlConnection, name: string): Promise<string> {
  const [row] = await conn.query<Record<string, string | number>>(
    `SELECT start_value, minimum_value, maximum_value, increment, cache_size, cycle_option FROM ${quoteIdent(name)}`,
  );
  if (!row) return 'sequence';
  return `sequence start ${row.start_value} min ${row.minimum_value} max ${row.maximum_value} increment ${row.increment} cache ${row.cache_size}${Number(row.cycle_option) === 1 ? ' cycle' : ''}`;
}

/** A MySQL view's ALGORITHM, which only SHOW CREATE VIEW gives there. */
async function viewAlgorithm(conn: MysqlConnection, name: string): Promise<string> {
  const [row] = await conn.query<Record<string, string>>(`SHOW CREATE VIEW ${quoteIdent(name)}`);
  return /\bALGORITHM=(\w+)/i.exec(row?.['Create View'] ?? '')?.[1] ?? 'UNDEFINED';
}
