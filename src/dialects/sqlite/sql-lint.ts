/**
 * Lints for SQL migrations on SQLite: what rebuilds or rewrites a table, and what a table
 * rebuild does to the rows that reference it. Statements are read with SQLite's own lexing
 * rules (the tokenizer the splitter uses: comments, strings and quoted names are never
 * mistaken for keywords), never with regular expressions over the text; only the leading
 * clauses of CREATE TABLE, DROP TABLE, ALTER TABLE and PRAGMA are read. What it cannot read
 * it says (severity info).
 *
 * The rules (sqlite.org/lang_altertable.html, lang_droptable.html, foreignkeys.html):
 * - The table rebuild (CREATE new, copy, DROP old, RENAME new TO old) copies every row in one
 *   write transaction: other writers wait until it commits.
 * - `DROP TABLE` first deletes every row, which fires the children's ON DELETE CASCADE / SET
 *   NULL / SET DEFAULT when foreign keys are on. dbdoctor switches them off around a migration
 *   that runs in its transaction; one with `transaction:false` runs with them as they are.
 * - `ALTER TABLE … RENAME TO` rewrites the children's REFERENCES to the new name (3.26+), so
 *   renaming the old table aside and dropping it leaves the children pointing at nothing.
 * - `ALTER TABLE … DROP COLUMN` rewrites every row of the table.
 */
import { rowCount } from '../../ops/lint.js';
import type { Connection, SqlLintContext, SqlLinter, SqlLintFinding } from '../dialect.js';
import { type Token, tokenize, unquoteIdent } from './create-sql.js';

/** A table name read from the tokens, and the index of the token after it. */
interface NameAt {
  name: string;
  next: number;
}

/** What one statement does, as far as these lints care. */
type Event =
  | { kind: 'create'; table: string }
  | { kind: 'drop'; table: string }
  | { kind: 'renameTable'; from: string; to: string }
  | { kind: 'dropColumn'; table: string; column: string }
  | { kind: 'renameColumn'; table: string; column: string }
  | { kind: 'foreignKeys'; on: boolean }
  | { kind: 'unjudged'; why: string; text: string };

const isName = (t: Token | undefined): t is Token =>
  t !== undefined && (t.kind === 'word' || t.kind === 'quoted');

/** A possibly schema-qualified name at `i` (`main.t`, `"main"."t"`, `[t]`); the schema is dropped. */
function readName(sql: string, toks: Token[], i: number): NameAt | null {
  const t = toks[i];
  if (!isName(t)) return null;
  let raw = sql.slice(t.start, t.end);
  let next = i + 1;
  if (t.kind === 'word' && raw.endsWith('.')) {
    // The tokenizer keeps `main.` as one word when a quoted name follows.
    const u = toks[next];
    if (!isName(u)) return null;
    raw = sql.slice(u.start, u.end);
    next++;
  } else if (toks[next]?.kind === 'punct' && toks[next]!.text === '.') {
    const u = toks[next + 1];
    if (!isName(u)) return null;
    raw = sql.slice(u.start, u.end);
    next += 2;
  } else if (t.kind === 'word' && raw.includes('.')) raw = raw.slice(raw.lastIndexOf('.') + 1);
  return { name: unquoteIdent(raw), next };
}

/** Whether the tokens from `i` are the keywords `words`. */
function keywords(toks: Token[], i: number, ...words: string[]): boolean {
  return words.every((w, k) => toks[i + k]?.kind === 'word' && toks[i + k]!.text === w);
}

const short = (text: string) => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 80)}…` : one;
};

/** What one statement does (null: nothing these lints judge). */
function readStatement(text: string): Event | null {
  const toks = tokenize(text);
  const unreadable = (what: string): Event => ({
    kind: 'unjudged',
    why: `the table name of this ${what} was not read`,
    text,
  });
  if (keywords(toks, 0, 'CREATE')) {
    let i = 1;
    if (keywords(toks, i, 'TEMP') || keywords(toks, i, 'TEMPORARY')) i++;
    if (!keywords(toks, i, 'TABLE')) return null;
    i++;
    if (keywords(toks, i, 'IF', 'NOT', 'EXISTS')) i += 3;
    const n = readName(text, toks, i);
    return n ? { kind: 'create', table: n.name } : unreadable('CREATE TABLE');
  }
  if (keywords(toks, 0, 'DROP', 'TABLE')) {
    const i = keywords(toks, 2, 'IF', 'EXISTS') ? 4 : 2;
    const n = readName(text, toks, i);
    return n ? { kind: 'drop', table: n.name } : unreadable('DROP TABLE');
  }
  if (keywords(toks, 0, 'ALTER', 'TABLE')) {
    const n = readName(text, toks, 2);
    if (!n) return unreadable('ALTER TABLE');
    let i = n.next;
    if (keywords(toks, i, 'RENAME', 'TO')) {
      const to = readName(text, toks, i + 2);
      return to ? { kind: 'renameTable', from: n.name, to: to.name } : unreadable('ALTER TABLE … RENAME TO');
    }
    if (keywords(toks, i, 'RENAME')) {
      i += keywords(toks, i + 1, 'COLUMN') ? 2 : 1;
      const c = readName(text, toks, i);
      return c ? { kind: 'renameColumn', table: n.name, column: c.name } : unreadable('RENAME COLUMN');
    }
    if (keywords(toks, i, 'DROP')) {
      i += keywords(toks, i + 1, 'COLUMN') ? 2 : 1;
      const c = readName(text, toks, i);
      return c ? { kind: 'dropColumn', table: n.name, column: c.name } : unreadable('DROP COLUMN');
    }
    return null;
  }
  if (keywords(toks, 0, 'PRAGMA')) {
    const n = readName(text, toks, 1);
    const pragma = n?.name.toLowerCase();
    if (pragma === 'writable_schema')
      return { kind: 'unjudged', why: 'it edits sqlite_schema directly, which no lint can follow', text };
    if (pragma !== 'foreign_keys' || !n) return null;
    let i = n.next;
    if (toks[i]?.text === '=') i++;
    else if (toks[i]?.text === '(') i++;
    else return null; // reading the setting changes nothing
    const value = toks[i]?.kind === 'string' ? unquoteIdent(toks[i]!.text) : toks[i]?.text;
    const v = value?.toUpperCase();
    if (v === 'ON' || v === '1' || v === 'TRUE' || v === 'YES') return { kind: 'foreignKeys', on: true };
    if (v === 'OFF' || v === '0' || v === 'FALSE' || v === 'NO') return { kind: 'foreignKeys', on: false };
    return { kind: 'unjudged', why: 'its foreign_keys value was not read', text };
  }
  // Writes to the schema table itself.
  const target = keywords(toks, 0, 'UPDATE')
    ? readName(text, toks, 1)
    : keywords(toks, 0, 'INSERT', 'INTO') || keywords(toks, 0, 'DELETE', 'FROM')
      ? readName(text, toks, 2)
      : null;
  const t = target?.name.toLowerCase();
  if (t === 'sqlite_schema' || t === 'sqlite_master')
    return { kind: 'unjudged', why: 'it edits sqlite_schema directly, which no lint can follow', text };
  return null;
}

/** A foreign key of another table that references `parent`. */
interface Child {
  table: string;
  onDelete: string;
}

async function childrenOf(conn: Connection | null, parent: string): Promise<Child[]> {
  if (conn === null) return [];
  const rows = await conn.query<{ child: string; on_delete: string }>(
    `SELECT m.name AS child, f.on_delete AS on_delete
       FROM main.sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f
      WHERE m.type = 'table' AND f."table" = ? COLLATE NOCASE AND m.name <> ? COLLATE NOCASE
      ORDER BY m.name`,
    [parent, parent],
  );
  return rows.map((r) => ({ table: r.child, onDelete: String(r.on_delete).toUpperCase() }));
}

async function foreignKeysOn(conn: Connection | null): Promise<boolean> {
  // better-sqlite3 opens every database with enforcement on, as dbdoctor does.
  if (conn === null) return true;
  const rows = await conn.query<{ foreign_keys: number }>('PRAGMA foreign_keys');
  return Number(rows[0]?.foreign_keys) === 1;
}

const DESTRUCTIVE = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT']);
const verb = (action: string) => (action === 'CASCADE' ? 'deletes' : `sets to ${action.slice(4)}`);
const key = (name: string) => name.toLowerCase();
const SAFE_BY_HAND =
  '`dbdoctor sql` prints this migration as a script that is safe to run by hand (foreign keys off outside the transaction, foreign_key_check before COMMIT).';

/** Lints one migration's statements. */
async function lintMigration(statements: readonly string[], ctx: SqlLintContext): Promise<SqlLintFinding[]> {
  const large = ctx.largeTableRows;
  const events = statements.map(readStatement).filter((e): e is Event => e !== null);
  const out: SqlLintFinding[] = [];

  // Tables this migration creates are empty; tables it rebuilds are told apart from real drops.
  const created = new Set<string>();
  const dropped = new Set<string>();
  /** Existing table (key) -> how it is rebuilt. */
  const rebuilt = new Map<string, 'rename-new' | 'rename-old'>();
  /** Old table renamed aside (key of the aside name) -> the existing table it was. */
  const aside = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'create') created.add(key(e.table));
    else if (e.kind === 'drop') dropped.add(key(e.table));
    else if (e.kind === 'renameTable') {
      // CREATE new; copy; DROP old; ALTER TABLE new RENAME TO old: the documented rebuild.
      if (created.has(key(e.from)) && dropped.has(key(e.to)) && !created.has(key(e.to)))
        rebuilt.set(key(e.to), 'rename-new');
      // ALTER TABLE old RENAME TO aside; CREATE old; copy; DROP aside: the one SQLite warns about.
      else if (!created.has(key(e.from))) aside.set(key(e.to), e.from);
    }
  }
  for (const [asideName, table] of aside)
    if (created.has(key(table)) && dropped.has(asideName)) rebuilt.set(key(table), 'rename-old');

  const rows = async (table: string) => ctx.rows(table);
  let fkOn = ctx.transaction ? false : await foreignKeysOn(ctx.conn);
  const seen = new Set<string>();
  const createdSoFar = new Set<string>();
  const breaking = (table: string, what: string, doing: string) =>
    out.push({
      id: 'breaking-change',
      severity: 'warning',
      table,
      message: `${doing} ${what} breaks application code that still uses it.`,
      alternative:
        'Expand and contract: deploy code that no longer uses it first; for a rename, add the new name, copy, switch readers and writers, then drop the old one.',
    });

  const rebuildWarning = async (table: string) => {
    const n = await rows(table);
    if (n >= large)
      out.push({
        id: 'table-rebuild',
        severity: 'warning',
        table,
        message: `This migration rebuilds "${table}" (a new table, every row copied, the old one dropped): ${rowCount(n, large)} copied in one write transaction, and other writers wait until it commits.`,
        alternative:
          'Use the DSL (`dbdoctor new --dsl`: alterColumn, dropColumn, …), which rebuilds in rowid ranges with progress and keeps indexes, triggers and views; or run it at a quiet time.',
      });
  };

  for (const e of events) {
    switch (e.kind) {
      case 'create':
        createdSoFar.add(key(e.table));
        break;
      case 'foreignKeys':
        // Inside dbdoctor's transaction SQLite ignores it (and enforcement is off already).
        if (!ctx.transaction) fkOn = e.on;
        break;
      case 'unjudged':
        out.push({
          id: 'sql-not-judged',
          severity: 'info',
          message: `Not judged, ${e.why}: ${short(e.text)}`,
          alternative: 'Check it by hand; `dbdoctor doctor` replays the migrations on a scratch database.',
        });
        break;
      case 'renameTable': {
        if (createdSoFar.has(key(e.from)) || rebuilt.has(key(e.to))) break;
        const rebuilding = rebuilt.get(key(e.from)) === 'rename-old';
        const children = await childrenOf(ctx.conn, e.from);
        if (rebuilding && children.length > 0)
          out.push({
            id: 'rebuild-renames-referenced-table',
            severity: 'error',
            table: e.from,
            message: `Renaming "${e.from}" to "${e.to}" also rewrites the REFERENCES of ${children.map((c) => `"${c.table}"`).join(', ')} to "${e.to}" (SQLite 3.26+), so after DROP TABLE "${e.to}" they reference a table that does not exist.`,
            alternative: `Rebuild the other way round: CREATE TABLE "new_${e.from}" (…), copy the rows, DROP TABLE "${e.from}", ALTER TABLE "new_${e.from}" RENAME TO "${e.from}" (sqlite.org/lang_altertable.html#otheralter), or use the DSL, which rebuilds for you.`,
          });
        if (rebuilding) await rebuildWarning(e.from);
        else breaking(e.from, `table "${e.from}"`, 'Renaming');
        break;
      }
      case 'renameColumn':
        if (!createdSoFar.has(key(e.table)))
          breaking(e.table, `column "${e.table}"."${e.column}"`, 'Renaming');
        break;
      case 'dropColumn': {
        if (createdSoFar.has(key(e.table))) break;
        breaking(e.table, `column "${e.table}"."${e.column}"`, 'Dropping');
        const n = await rows(e.table);
        if (n >= large)
          out.push({
            id: 'drop-column-rewrites-table',
            severity: 'warning',
            table: e.table,
            message: `ALTER TABLE "${e.table}" DROP COLUMN "${e.column}" rewrites every row (${rowCount(n, large)}) in one write transaction: other writers wait until it commits.`,
            alternative:
              'Run it at a quiet time, or leave the column unused (and nullable) and drop it with a later rebuild you already need.',
          });
        break;
      }
      case 'drop': {
        const k = key(e.table);
        if (createdSoFar.has(k) || seen.has(k)) break;
        seen.add(k);
        const how = rebuilt.get(k);
        // The aside copy of a table rebuilt the other way: judged at its rename.
        if (aside.has(k) && rebuilt.get(key(aside.get(k)!)) === 'rename-old') break;
        const n = await rows(e.table);
        if (how === undefined) breaking(e.table, `table "${e.table}"`, 'Dropping');
        else await rebuildWarning(e.table);
        if (n === 0) break;
        const children: (Child & { rows: number })[] = [];
        for (const c of await childrenOf(ctx.conn, e.table))
          if (!dropped.has(key(c.table)) || how !== undefined) {
            const m = await rows(c.table);
            if (m > 0) children.push({ ...c, rows: m });
          }
        const fired = children.filter((c) => DESTRUCTIVE.has(c.onDelete));
        const list = (cs: typeof children) =>
          cs.map((c) => `"${c.table}" (${rowCount(c.rows, large)}, ON DELETE ${c.onDelete})`).join(', ');
        if (fkOn && fired.length > 0)
          out.push({
            id: 'drop-table-fires-foreign-keys',
            severity: 'error',
            table: e.table,
            message: `DROP TABLE "${e.table}" first deletes its rows, and foreign keys are on here (the migration runs outside dbdoctor's transaction): that ${fired.map((c) => `${verb(c.onDelete)} the referencing rows of "${c.table}"`).join(', ')} — ${list(fired)}.`,
            alternative:
              'Let the migration run in a transaction (dbdoctor then switches foreign keys off around it and checks them before COMMIT), or start it with PRAGMA foreign_keys = OFF and end it with PRAGMA foreign_key_check and PRAGMA foreign_keys = ON.',
          });
        else if (how !== undefined && fired.length > 0 && ctx.transaction)
          out.push({
            id: 'rebuild-unsafe-by-hand',
            severity: 'info',
            table: e.table,
            message: `dbdoctor apply keeps the rows referencing "${e.table}" (foreign keys are off during the migration), but this SQL run by hand with foreign keys on ${fired.map((c) => `${verb(c.onDelete)} the referencing rows of "${c.table}"`).join(', ')} — ${list(fired)}.`,
            alternative: SAFE_BY_HAND,
          });
        else if (how === undefined && !fkOn && children.length > 0)
          out.push({
            id: 'drop-table-leaves-orphans',
            severity: 'warning',
            table: e.table,
            message: ctx.transaction
              ? `"${e.table}" is referenced by rows of ${list(children)}: after DROP TABLE they reference nothing, so the PRAGMA foreign_key_check dbdoctor runs before COMMIT rolls the migration back unless it removes them too.`
              : `"${e.table}" is referenced by rows of ${list(children)}: after DROP TABLE they reference nothing, and outside a transaction nothing checks it.`,
            alternative:
              'Delete or repoint those rows (or drop their foreign key by rebuilding the child) in the same migration.',
          });
        break;
      }
    }
  }
  return out;
}

/** The SQLite SQL linter. */
export const sqliteSqlLinter: SqlLinter = {
  lint: (statements, ctx) => lintMigration(statements, ctx),
};
