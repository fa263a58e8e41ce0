/**
 * Lints for SQL migrations on MySQL and MariaDB: where the server copies a table and blocks
 * writes, and what deletes or cuts values. Statements are parsed with node-sql-parser's MySQL
 * and MariaDB grammars (the server's first), never matched with regular expressions.
 * node-sql-parser is an optional dependency: without it, or for a statement it cannot parse,
 * the finding says the SQL was not judged.
 *
 * The rules, from the servers' online DDL documentation (MySQL 8.0 Reference Manual 17.12.1
 * "Online DDL Operations", dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html;
 * MariaDB "InnoDB Online DDL Operations with the INSTANT / INPLACE Alter Algorithm",
 * mariadb.com/kb/en/innodb-online-ddl-overview/):
 * - Changing a column's data type is ALGORITHM=COPY: the table is copied row by row and
 *   concurrent DML is not permitted until it finishes. The exceptions, done in place: a VARCHAR
 *   made longer (on MySQL only while its length prefix stays one byte, under 256 bytes, or two;
 *   MariaDB 10.2.2+ any longer VARCHAR: its "Changing the Data Type of a Column"); ENUM/SET
 *   members added at the end while the storage size stays. MODIFY/CHANGE that restates the
 *   type (to change NULL, the default or the name) is no type change.
 * - Adding a foreign key is ALGORITHM=COPY unless `foreign_key_checks` is 0 (then INPLACE, and
 *   existing rows are not checked); adding a CHECK constraint is ALGORITHM=COPY on both servers.
 * - A FULLTEXT or SPATIAL index is built in place but without concurrent DML; other indexes are
 *   built with LOCK=NONE by default, so CREATE INDEX is not flagged (no CONCURRENTLY needed).
 * - An explicit ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE blocks writes for the whole statement.
 * - ADD COLUMN … NOT NULL without a default does not fail as on PostgreSQL: every existing row
 *   gets the type's implicit default (0, '', a zero date; dev.mysql.com/doc/refman/8.0/en/data-type-defaults.html).
 * - In strict mode (the default) a value that does not fit a narrower type fails the ALTER;
 *   fractions are rounded and times of day dropped silently (see mysqlLossyTypeChange).
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../../errors.js';
import { rowCount } from '../../ops/lint.js';
import type { SqlLintContext, SqlLinter, SqlLintFinding } from '../dialect.js';
import { mysqlColumnType } from './introspect.js';
import { mysqlLossyTypeChange, mysqlTypeParts } from './schema-sql.js';
import { tokenizeMysql } from './split.js';

type Node = Record<string, unknown>;

interface Parser {
  astify(sql: string, options?: { database?: string }): Node | Node[];
}

type Grammar = 'mysql' | 'mariadb';

const parsers = new Map<Grammar, Promise<Parser | null>>();

/** node-sql-parser's grammar for one server, loaded once; null when it is not installed. */
function loadParser(grammar: Grammar): Promise<Parser | null> {
  let p = parsers.get(grammar);
  if (!p) {
    p = (async () => {
      const require = createRequire(import.meta.url);
      try {
        // Resolved first, so "not installed" is told apart from a broken install.
        require.resolve(`node-sql-parser/build/${grammar}`);
      } catch {
        return null;
      }
      // One grammar's build (about 270 kB), not the package's all-dialects index (2.5 MB).
      const mod = require(`node-sql-parser/build/${grammar}`) as { Parser: new () => Parser };
      return new mod.Parser();
    })();
    parsers.set(grammar, p);
  }
  return p;
}

const obj = (v: unknown): Node | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined;
const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const lower = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');
/** The column a `column_ref` names (the parser wraps some names in `{ expr: { value } }`). */
const columnName = (ref: unknown): string | undefined => {
  const c = obj(ref)?.column;
  return str(c) ?? str(obj(obj(c)?.expr)?.value);
};

const EXPAND_CONTRACT =
  'Expand and contract: deploy code that no longer uses it first; for a rename, add the new name, copy, switch readers and writers, then drop the old one.';
const ONLINE_TOOL =
  'Add a new column, backfill it in batches, switch the application over, then drop the old column; or run the change with an online schema change tool (gh-ost, pt-online-schema-change).';

/** MySQL's spellings of one type (dev.mysql.com/doc/refman/8.0/en/other-vendor-data-types.html). */
const SYNONYMS: Record<string, string> = {
  integer: 'int',
  int1: 'tinyint',
  int2: 'smallint',
  int3: 'mediumint',
  middleint: 'mediumint',
  int4: 'int',
  int8: 'bigint',
  dec: 'decimal',
  numeric: 'decimal',
  fixed: 'decimal',
  real: 'double',
  float8: 'double',
  float4: 'float',
  character: 'char',
  nchar: 'char',
  nvarchar: 'varchar',
};

/**
 * A column definition's type as introspection reports it (mysqlColumnType), so it compares with
 * the live COLUMN_TYPE: synonyms resolved, the lengths MySQL fills in when none is written.
 */
function definitionType(def: Node): string | null {
  const written = lower(def.dataType);
  if (!written) return null;
  if (written === 'bool' || written === 'boolean') return 'tinyint(1)';
  let base = SYNONYMS[written] ?? written;
  const length = typeof def.length === 'number' ? def.length : undefined;
  const scale = typeof def.scale === 'number' ? def.scale : undefined;
  let mods: number[] = [];
  if (base === 'enum' || base === 'set') {
    const values = list(obj(def.expr)?.value).map((v) => `'${String(v.value).replaceAll("'", "''")}'`);
    return `${base}(${values.join(',')})`;
  }
  if (base === 'decimal') mods = [length ?? 10, scale ?? 0];
  else if (base === 'float' && length !== undefined && scale === undefined)
    base = length > 24 ? 'double' : 'float';
  else if ((base === 'char' || base === 'binary' || base === 'bit') && length === undefined) mods = [1];
  else if (base === 'year') mods = [];
  else if (length !== undefined && !(length === 0 && ['datetime', 'timestamp', 'time'].includes(base)))
    mods = scale === undefined ? [length] : [length, scale];
  const suffix = list(def.suffix)
    .map((s) => lower(s))
    .filter((s) => s === 'unsigned' || s === 'zerofill');
  return mysqlColumnType([`${base}${mods.length > 0 ? `(${mods.join(',')})` : ''}`, ...suffix].join(' '));
}

/** A column of the live database, as information_schema.COLUMNS reports it. */
interface LiveColumn {
  name: string;
  type: string;
  charset: string | null;
  chars: number | null;
  octets: number | null;
}

/** Bytes ENUM and SET values take (1 or 2 for ENUM, 1–8 for SET): adding a member in place needs the same. */
const memberBytes = (base: string, n: number) => (base === 'enum' ? (n <= 255 ? 1 : 2) : Math.ceil(n / 8));

/**
 * Whether MODIFY from `live` to type `to` (charset `charset` when written) copies the table:
 * a data type change, except the in-place ones the documentation lists.
 */
function copiesTable(
  live: LiveColumn | undefined,
  to: string,
  charset: string | undefined,
  mariadb: boolean,
): boolean {
  if (live === undefined) return true;
  const sameCharset =
    charset === undefined || live.charset === null || charset === live.charset.toLowerCase();
  if (!sameCharset) return true;
  if (live.type === to) return false;
  const a = mysqlTypeParts(live.type);
  const b = mysqlTypeParts(to);
  if (a.base === 'varchar' && b.base === 'varchar' && live.chars && live.octets) {
    const [n] = b.mods;
    if (n < live.chars) return true;
    // MySQL: the length prefix is 1 byte under 256 bytes, 2 from there, and only a change within
    // one stays in place. MariaDB (10.2.2+) makes any VARCHAR longer in place.
    const perChar = live.octets / live.chars;
    return !mariadb && live.octets < 256 !== n * perChar < 256;
  }
  if (a.base === b.base && (a.base === 'enum' || a.base === 'set')) {
    const appended = a.values.every((v, i) => b.values[i] === v);
    return !(appended && memberBytes(a.base, a.values.length) === memberBytes(b.base, b.values.length));
  }
  return true;
}

/** What one migration's statements do, judged statement by statement. */
class MigrationLint {
  readonly out: SqlLintFinding[] = [];
  /** Tables this migration created: empty, nothing to say about them. */
  private readonly created = new Set<string>();
  private readonly columns = new Map<string, Promise<Map<string, LiveColumn>>>();
  /** The session's foreign_key_checks, as SET statements of this migration leave it. */
  private foreignKeyChecks = true;

  constructor(
    private readonly ctx: SqlLintContext,
    /** The server is MariaDB (its in-place rules differ in places). */
    private readonly mariadb: boolean,
  ) {}

  private rows(table: string): Promise<number> {
    return this.created.has(table) ? Promise.resolve(0) : this.ctx.rows(table);
  }

  private liveColumns(table: string): Promise<Map<string, LiveColumn>> {
    let p = this.columns.get(table);
    if (!p) {
      const conn = this.ctx.conn;
      p = (async () => {
        if (conn === null) return new Map<string, LiveColumn>();
        const rows = await conn.query<{
          name: string;
          type: string;
          charset: string | null;
          chars: number | string | null;
          octets: number | string | null;
        }>(
          `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, CHARACTER_SET_NAME AS charset,
                  CHARACTER_MAXIMUM_LENGTH AS chars, CHARACTER_OCTET_LENGTH AS octets
             FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
          [table],
        );
        // Column names are case-insensitive in MySQL.
        return new Map(
          rows.map((r) => [
            r.name.toLowerCase(),
            {
              name: r.name,
              type: mysqlColumnType(r.type),
              charset: r.charset,
              chars: r.chars === null ? null : Number(r.chars),
              octets: r.octets === null ? null : Number(r.octets),
            },
          ]),
        );
      })();
      this.columns.set(table, p);
    }
    return p;
  }

  /**
   * Records what an earlier statement of this migration made a column (null: dropped), so a
   * later MODIFY is judged against it rather than against the live column.
   */
  private async setColumn(
    table: string,
    name: string,
    def: Node | null,
    e: Node | null,
    was?: LiveColumn,
  ): Promise<void> {
    const columns = await this.liveColumns(table);
    const type = def === null ? null : definitionType(def);
    if (type === null || e === null) {
      columns.delete(name.toLowerCase());
      return;
    }
    const charset = lower(obj(obj(e.character_set)?.value)?.value) || null;
    // Bytes per character are the server's to say: known only from the column this one was.
    const perChar =
      was?.chars && was.octets && (charset === null || charset === was.charset?.toLowerCase())
        ? was.octets / was.chars
        : null;
    const [chars] = mysqlTypeParts(type).mods;
    columns.set(name.toLowerCase(), {
      name,
      type,
      charset: charset ?? (perChar === null ? null : (was?.charset ?? null)),
      chars: perChar === null || chars === undefined ? null : chars,
      octets: perChar === null || chars === undefined ? null : chars * perChar,
    });
  }

  private breaking(table: string, what: string, verb: string): void {
    if (!this.created.has(table))
      this.out.push({
        id: 'breaking-change',
        severity: 'warning',
        table,
        message: `${verb} ${what} breaks application code that still uses it.`,
        alternative: EXPAND_CONTRACT,
      });
  }

  private async dataLoss(
    table: string,
    message: (rows: string) => string,
    alternative: string,
  ): Promise<void> {
    const n = await this.rows(table);
    if (n > 0)
      this.out.push({
        id: 'data-loss',
        severity: 'warning',
        table,
        message: message(rowCount(n, this.ctx.largeTableRows)),
        alternative,
      });
  }

  private async blocksWrites(table: string, id: string, what: (rows: string) => string, alternative: string) {
    const n = await this.rows(table);
    if (n >= this.ctx.largeTableRows)
      this.out.push({
        id,
        severity: 'warning',
        table,
        message: what(rowCount(n, this.ctx.largeTableRows)),
        alternative,
      });
  }

  async statement(ast: Node): Promise<void> {
    const type = lower(ast.type);
    const keyword = lower(ast.keyword);
    if (type === 'create' && keyword === 'table') {
      for (const t of list(ast.table)) if (str(t.table)) this.created.add(String(t.table));
      return;
    }
    if (type === 'create' && keyword === 'index') {
      const table = str(obj(ast.table)?.table);
      const kind = lower(ast.index_type);
      if (table && (kind === 'fulltext' || kind === 'spatial')) await this.writeBlockingIndex(table, kind);
      if (table) await this.explicitCopy(table, [obj(ast.algorithm_option), obj(ast.lock_option)]);
      return;
    }
    if (type === 'drop' && keyword === 'table') {
      for (const t of list(ast.name)) {
        const table = str(t.table);
        if (!table) continue;
        await this.dataLoss(
          table,
          (n) => `DATA LOSS: dropping table "${table}" deletes its ${n}.`,
          'Back it up first, or, if it was renamed, rename it instead (RENAME TABLE).',
        );
        this.breaking(table, `table "${table}"`, 'Dropping');
      }
      return;
    }
    if (type === 'truncate') {
      for (const t of list(ast.name)) {
        const table = str(t.table);
        if (table)
          await this.dataLoss(
            table,
            (n) => `DATA LOSS: truncating table "${table}" deletes its ${n}.`,
            'Back it up first; DELETE in batches if only some rows should go.',
          );
      }
      return;
    }
    if (type === 'rename') {
      for (const pair of list(ast.table)) {
        const table = str(obj(list(pair)[0])?.table);
        if (table) this.breaking(table, `table "${table}"`, 'Renaming');
      }
      return;
    }
    if (type === 'set') {
      for (const e of list(ast.expr)) {
        const name = lower(obj(e.left)?.name);
        if (name !== 'foreign_key_checks') continue;
        const v = obj(e.right)?.value;
        this.foreignKeyChecks = !(v === 0 || lower(v) === 'off' || v === false);
      }
      return;
    }
    if (type === 'alter' && Array.isArray(ast.table)) {
      const table = str(list(ast.table)[0]?.table);
      if (table) await this.alterTable(table, list(ast.expr));
    }
  }

  private async writeBlockingIndex(table: string, kind: string): Promise<void> {
    await this.blocksWrites(
      table,
      'index-blocks-writes',
      (n) =>
        `Adding a ${kind.toUpperCase()} index to "${table}" (${n}) does not permit concurrent writes until it is built.`,
      'Run it at a quiet time, or with an online schema change tool (gh-ost, pt-online-schema-change).',
    );
  }

  /** An explicit ALGORITHM=COPY or LOCK=SHARED/EXCLUSIVE: writes wait for the whole statement. */
  private async explicitCopy(table: string, options: (Node | undefined)[]): Promise<void> {
    const asked: string[] = [];
    for (const o of options) {
      const algorithm = lower(o?.algorithm);
      const lock = lower(o?.lock);
      if (algorithm === 'copy') asked.push('ALGORITHM=COPY');
      if (lock === 'shared' || lock === 'exclusive') asked.push(`LOCK=${lock.toUpperCase()}`);
    }
    if (asked.length > 0)
      await this.blocksWrites(
        table,
        'alter-blocks-writes',
        (n) => `${asked.join(', ')} on "${table}" (${n}) blocks writes to it until the statement finishes.`,
        'Leave ALGORITHM and LOCK out (the server picks the least blocking way), or ask for ALGORITHM=INPLACE, LOCK=NONE so it fails instead of blocking.',
      );
  }

  private async alterTable(table: string, exprs: Node[]): Promise<void> {
    await this.explicitCopy(
      table,
      exprs.filter((e) => e.resource === 'algorithm' || e.resource === 'lock'),
    );
    for (const e of exprs) {
      const action = lower(e.action);
      const resource = lower(e.resource);
      if (resource === 'column' && action === 'add') {
        const column = columnName(e.column);
        const notNull = lower(obj(e.nullable)?.type) === 'not null';
        if (notNull && !e.default_val && !e.auto_increment && !e.generated && (await this.rows(table)) > 0)
          this.out.push({
            id: 'not-null-without-default',
            severity: 'error',
            table,
            message: `Adding NOT NULL column "${table}"."${column}" without a default to a table with rows gives every existing row the type's implicit default (0, '' or a zero date): values nobody wrote.`,
            alternative:
              'Give it a default, or add it nullable, backfill it, then MODIFY it NOT NULL in a later migration.',
          });
        if (column) await this.setColumn(table, column, obj(e.definition) ?? null, e);
      } else if (resource === 'column' && action === 'drop') {
        const column = columnName(e.column);
        await this.dataLoss(
          table,
          (n) => `DATA LOSS: dropping column "${table}"."${column}" deletes its values in ${n}.`,
          'Back it up first, or, if it was renamed, rename it instead (ALTER TABLE ... RENAME COLUMN).',
        );
        this.breaking(table, `column "${table}"."${column}"`, 'Dropping');
        if (column) await this.setColumn(table, column, null, null);
      } else if (resource === 'column' && (action === 'modify' || action === 'change')) {
        await this.modifyColumn(table, e, action);
      } else if (action === 'rename' && resource === 'column') {
        this.breaking(table, `column "${table}"."${columnName(e.old_column)}"`, 'Renaming');
      } else if (action === 'rename' && resource === 'table') {
        this.breaking(table, `table "${table}"`, 'Renaming');
      } else if (action === 'add' && resource === 'index') {
        const kind = lower(e.keyword).split(' ')[0];
        if (kind === 'fulltext' || kind === 'spatial') await this.writeBlockingIndex(table, kind);
      } else if (action === 'add' && resource === 'constraint') {
        const kind = lower(obj(e.create_definitions)?.constraint_type);
        const copies = kind === 'check' || (kind === 'foreign key' && this.foreignKeyChecks);
        if (copies)
          await this.blocksWrites(
            table,
            // The id the DSL's lint gives the same copy on MySQL (ops/lint.ts); scripts match on it.
            'large-sqlite-rebuild',
            (n) =>
              `Adding a ${kind === 'check' ? 'CHECK constraint' : 'foreign key'} to "${table}" copies it row by row (${n}, ALGORITHM=COPY${kind === 'check' ? '' : ' while foreign_key_checks is on'}), and writes to it wait until done.`,
            kind === 'check'
              ? 'Run it at a quiet time; group changes to the table in one ALTER TABLE so they share one copy.'
              : 'Run it at a quiet time; or SET foreign_key_checks = 0 before it (then it is INPLACE and does not block writes, but existing rows are not checked: check them with a query first).',
          );
      }
    }
  }

  private async modifyColumn(table: string, e: Node, action: string): Promise<void> {
    const old = columnName(action === 'change' ? e.old_column : e.column);
    const now = columnName(e.column);
    if (!old) return;
    if (action === 'change' && now && now.toLowerCase() !== old.toLowerCase())
      this.breaking(table, `column "${table}"."${old}"`, 'Renaming');
    const def = obj(e.definition);
    const to = def ? definitionType(def) : null;
    if (to === null || this.created.has(table)) return;
    const live = (await this.liveColumns(table)).get(old.toLowerCase());
    const charset = lower(obj(obj(e.character_set)?.value)?.value) || undefined;
    await this.setColumn(table, old, null, null);
    await this.setColumn(table, now ?? old, def ?? null, e, live);
    if (!copiesTable(live, to, charset, this.mariadb)) return;
    const n = await this.rows(table);
    const large = this.ctx.largeTableRows;
    const lossy = live ? mysqlLossyTypeChange(live.type, to) : null;
    if (lossy && n > 0)
      this.out.push({
        id: 'data-loss',
        severity: 'warning',
        table,
        message: `DATA LOSS: changing "${table}"."${old}" from ${live!.type} to ${to} (${rowCount(n, large)}): ${lossy}.`,
        alternative:
          'Check the rows first; to keep every value, add a new column, copy what fits, and drop the old one later.',
      });
    if (n >= large)
      this.out.push({
        id: 'type-change-rewrites-table',
        severity: 'error',
        table,
        message: `Changing the type of "${table}"."${old}" rewrites the whole table (${rowCount(n, large)}, ALGORITHM=COPY) and blocks writes to it until done.`,
        alternative: ONLINE_TOOL,
      });
  }
}

/** The server's grammar first (MariaDB's where VERSION() says MariaDB), then the other one. */
async function grammarsOf(ctx: SqlLintContext): Promise<Grammar[]> {
  const rows = ctx.conn === null ? [] : await ctx.conn.query<{ v: string }>('SELECT VERSION() AS v');
  return String(rows[0]?.v ?? '').includes('MariaDB') ? ['mariadb', 'mysql'] : ['mysql', 'mariadb'];
}

const GRAMMAR_NAMES: Record<Grammar, string> = { mysql: 'MySQL', mariadb: 'MariaDB' };

const short = (text: string) => {
  const one = text.split(/\s+/).join(' ').trim();
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
};

/**
 * The bare words of a statement (outside quotes and comments), upper-cased, in order; the text
 * of an executable comment (`/*! … *\/`, which the server runs) counts as code. For deciding
 * which statements cannot give a finding, so they need no parse (see {@link needsParse}).
 */
export function statementWords(text: string): string[] {
  return tokenizeMysql(text)
    .filter((t) => t.kind === 'word')
    .map((t) => t.text);
}

/** Index words that make a CREATE INDEX worth judging (it blocks writes); any other index does not. */
const BLOCKING_INDEX_WORDS = new Set(['FULLTEXT', 'SPATIAL', 'ALGORITHM', 'LOCK']);

/**
 * What a statement needs from the parser, from its words (see {@link MigrationLint.statement}
 * for what gives findings): `skip` for statements no rule judges (INSERT, CREATE VIEW,
 * triggers, routines, …) and plain CREATE INDEX; `defer` for what only sets the scene for a
 * later statement (CREATE TABLE: which tables are new; SET: `foreign_key_checks`), parsed only
 * when one is judged; `parse` for everything else, and for whatever does not start with a word
 * (an executable comment reads as its code).
 * Parsing is by far the lint's largest cost (about 0.25 ms a statement), paid on every `apply`.
 */
export function needsParse(text: string): 'skip' | 'defer' | 'parse' {
  return parseNeedOf(statementWords(text));
}

/** {@link needsParse} from a statement's words ({@link statementWords}). */
function parseNeedOf(w: readonly string[]): 'skip' | 'defer' | 'parse' {
  const first = w[0];
  if (first === undefined) return 'skip';
  if (first === 'DROP' || first === 'TRUNCATE' || first === 'RENAME' || first === 'ALTER') return 'parse';
  if (first === 'SET') return 'defer';
  if (first !== 'CREATE') return /^[A-Z]/.test(first) ? 'skip' : 'parse';
  let k = 1;
  if (w[k] === 'OR' && w[k + 1] === 'REPLACE') k += 2;
  if (w[k] === 'TEMPORARY') k++;
  if (w[k] === 'TABLE') return 'defer';
  if (w[k] === 'UNIQUE' || w[k] === 'INDEX' || w[k] === 'FULLTEXT' || w[k] === 'SPATIAL')
    return w.some((word) => BLOCKING_INDEX_WORDS.has(word)) ? 'parse' : 'skip';
  return 'skip';
}

/** The MySQL / MariaDB SQL linter. */
export const mysqlSqlLinter: SqlLinter = {
  async lint(statements, ctx) {
    const toParse: string[] = [];
    const deferred: string[] = [];
    const locks: SqlLintFinding[] = [];
    // Every pending migration is linted on each apply: each statement is tokenized once.
    for (const text of statements) {
      const words = statementWords(text);
      if (locksTables(words)) locks.push(lockTablesFinding(text));
      const need = parseNeedOf(words);
      if (need === 'defer') deferred.push(text);
      else if (need === 'parse') toParse.push(...deferred.splice(0), text);
    }
    // Nothing any rule judges: no parser to load, no server to ask.
    if (toParse.length === 0) return locks;
    const grammars = await grammarsOf(ctx);
    const parsers: [Grammar, Parser][] = [];
    for (const g of grammars) {
      const p = await loadParser(g);
      if (p) parsers.push([g, p]);
    }
    if (parsers.length === 0)
      return [
        {
          id: 'sql-not-judged',
          severity: 'info',
          message:
            'SQL migrations are not linted: the optional peer dependency node-sql-parser is not installed (dbdoctor does not install it: it is about 90 MB).',
          alternative: 'npm install node-sql-parser (MySQL and MariaDB grammars, plain JavaScript).',
        },
      ];
    const lint = new MigrationLint(ctx, grammars[0] === 'mariadb');
    for (const text of toParse) {
      // Each grammar misses some of the other's statements (node-sql-parser's MariaDB grammar
      // has no ALTER TABLE … ADD CONSTRAINT): the server's first, then the other; the trees
      // have the same shape.
      let asts: Node[] | null = null;
      let firstError: unknown;
      for (const [g, p] of parsers) {
        try {
          const ast = p.astify(text, { database: GRAMMAR_NAMES[g] });
          asts = Array.isArray(ast) ? ast : [ast];
          break;
        } catch (e) {
          firstError ??= e;
        }
      }
      if (asts === null) {
        lint.out.push({
          id: 'sql-not-judged',
          severity: 'info',
          message: `A statement neither the ${parsers.map(([g]) => GRAMMAR_NAMES[g]).join(' nor the ')} grammar of node-sql-parser reads was not judged (${short(errorMessage(firstError))}): ${short(text)}`,
          alternative: 'Check it by hand; `dbdoctor doctor` still replays it on a scratch database.',
        });
        continue;
      }
      for (const ast of asts) await lint.statement(ast);
    }
    return [...locks, ...lint.out];
  },
};

/**
 * `LOCK TABLE(S) …`, or `FLUSH TABLES … WITH READ LOCK` / `FOR EXPORT` (which lock the tables
 * for the session the same way): read by the statement's words ({@link statementWords}).
 */
function locksTables(words: readonly string[]): boolean {
  const [first, second] = words;
  if (first === 'LOCK') return second === 'TABLES' || second === 'TABLE';
  if (first !== 'FLUSH' || (second !== 'TABLES' && second !== 'TABLE')) return false;
  const tail = words.slice(-3).join(' ');
  return tail.endsWith('WITH READ LOCK') || tail.endsWith('FOR EXPORT');
}

/**
 * LOCK TABLES in a migration: while a session holds table locks it may use no other table
 * (MySQL manual 15.3.6 "LOCK TABLES and UNLOCK TABLES Statements"), so the history row that
 * records each statement cannot be written and the migration would stop part-way after it.
 */
function lockTablesFinding(text: string): SqlLintFinding {
  return {
    id: 'lock-tables',
    severity: 'error',
    message: `LOCK TABLES in a migration: while it holds table locks the session can use no other table, so dbdoctor cannot record the migration's progress and it would stop part-way right after: ${short(text)}`,
    alternative:
      'Remove the LOCK TABLES and UNLOCK TABLES lines (mysqldump --skip-add-locks writes none): each migration runs under the migration lock already, and InnoDB locks the rows it writes.',
  };
}
