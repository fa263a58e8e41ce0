/**
 * The oracle of the project mutation test (issue 10): a schema dump made by the database's own
 * tool, normalized only by what README's "What the doctor does not compare" list names. It
 * shares no code with the doctor, so the doctor can be wrong about it.
 *
 * - PostgreSQL: `pg_dump --schema-only` of the project's schema, cut into statements; settings,
 *   ownership, grants, comments, security labels, CLUSTER ON, REPLICA IDENTITY, statistics
 *   targets, storage and compression, storage parameters (WITH (...)), view options, identity
 *   sequence options and constraint names are removed; column lists and statements are sorted
 *   (column order and dump order are not compared).
 * - SQLite: the statements sqlite_schema keeps (what `.schema` prints), as tokens (SQLite
 *   gives neither whitespace nor the case of unquoted words a meaning; a quoted identifier is
 *   the identifier), without constraint names, column definitions sorted.
 */
import { execFile } from 'node:child_process';
import Database from 'better-sqlite3';

/** Statements of a pg_dump script, honouring quotes, dollar quotes and comments. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      i = end < 0 ? sql.length : end + 1;
      // A doubled quote continues the string; the loop simply reopens it.
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '$') {
      const m = /^\$[A-Za-z_0-9]*\$/.exec(sql.slice(i));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? sql.length : end + m[0].length;
      } else i++;
    } else if (ch === ';') {
      out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.replace(/^\s*(--[^\n]*\n\s*)*/g, '').trim()).filter((s) => s.length > 0);
}

/** Splits `text` at the commas outside parentheses and quotes. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = text.indexOf(ch, i + 1);
      i = end < 0 ? text.length : end;
    } else if (ch === '[') {
      const end = text.indexOf(']', i + 1);
      i = end < 0 ? text.length : end;
    } else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** Index of the `)` closing the `(` at `open`, outside quotes. */
export function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = text.indexOf(ch, i + 1);
      i = end < 0 ? text.length : end;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/** A CREATE TABLE statement cut into what precedes its column list, the list's items, and what follows. */
export function tableParts(sql: string): { head: string; items: string[]; tail: string } | null {
  const open = sql.indexOf('(');
  if (open < 0) return null;
  const close = closingParen(sql, open);
  if (close < 0) return null;
  return {
    head: sql.slice(0, open + 1),
    items: splitTopLevel(sql.slice(open + 1, close)),
    tail: sql.slice(close),
  };
}

const TABLE_CONSTRAINT = /^(constraint|primary|unique|check|foreign|exclude|like)\b/i;

/** True when a column-list item defines a column (not a table constraint). */
export function isColumnItem(item: string): boolean {
  return !TABLE_CONSTRAINT.test(item);
}

/** A CREATE TABLE statement with its column definitions sorted (column order is not compared). */
function sortedColumns(sql: string): string {
  const parts = tableParts(sql);
  if (!parts) return sql;
  const columns = parts.items.filter(isColumnItem).sort();
  const constraints = parts.items.filter((i) => !isColumnItem(i)).sort();
  return `${parts.head}${[...columns, ...constraints].join(', ')}${parts.tail}`;
}

/** Statements a schema dump prints that the doctor's "not compared" list names. */
const PG_NOT_COMPARED = [
  /^SET /,
  /^SELECT pg_catalog\.set_config/,
  /^COMMENT ON /,
  /^(GRANT|REVOKE) /,
  /^ALTER DEFAULT PRIVILEGES /,
  /^SECURITY LABEL /,
  / OWNER TO /,
  /^ALTER TABLE .* CLUSTER ON /,
  /^ALTER TABLE .* REPLICA IDENTITY /,
  /^ALTER (TABLE|INDEX|MATERIALIZED VIEW) .* ALTER COLUMN .* SET (STATISTICS|STORAGE|COMPRESSION) /,
  /^ALTER (TABLE|INDEX) .* SET \(/,
  /^CREATE SCHEMA /,
];

/** One pg_dump statement with the parts the doctor does not compare taken out. */
function normalizePgStatement(statement: string): string | null {
  const flat = statement.replace(/\s+/g, ' ').trim();
  if (PG_NOT_COMPARED.some((p) => p.test(flat))) return null;
  let s = /^CREATE (UNLOGGED )?TABLE /.test(flat) ? sortedColumns(flat) : flat;
  // Names of UNIQUE, FOREIGN KEY, CHECK, exclusion and primary key constraints.
  s = s.replace(/CONSTRAINT ("(?:[^"]|"")*"|[\w$]+) /g, 'CONSTRAINT _ ');
  // Storage parameters of tables, indexes and views, and view options.
  s = s.replace(/\) WITH \([^()]*\)/g, ')');
  s = s.replace(/^(CREATE (?:OR REPLACE )?(?:MATERIALIZED )?VIEW \S+) WITH \([^()]*\)/, '$1');
  s = s.replace(/ WITH (LOCAL |CASCADED )?CHECK OPTION$/, '');
  // Identity columns' sequence options.
  s = s.replace(/( AS IDENTITY) \((?:[^()]|\([^()]*\))*\)/, '$1');
  return s;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

/** `pg_dump --schema-only` of one schema of the database at `url`, without dbdoctor's tables. */
export async function pgDumpSchema(url: string, schema: string): Promise<string> {
  return run('pg_dump', [
    '--schema-only',
    '--no-owner',
    '--no-privileges',
    '--schema',
    schema,
    '--exclude-table',
    '*.dbdoctor_migrations*',
    url,
  ]);
}

/** The normalized pg_dump of a schema: equal exactly when the compared schema is. */
export async function normalizedPgDump(url: string, schema: string): Promise<string> {
  const out: string[] = [];
  // psql meta-commands (pg_dump's \restrict line carries a random key per run) are not SQL.
  const script = (await pgDumpSchema(url, schema)).replace(/^\\.*$/gm, '');
  for (const statement of splitStatements(script)) {
    const n = normalizePgStatement(statement);
    if (n !== null) out.push(n);
  }
  return out.sort().join(';\n');
}

// A string, a quoted identifier ("", ``, []), a word, a number, or one symbol.
const TOKEN =
  /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d+)?|\S/g;

function sqliteTokens(sql: string): string[] {
  return (sql.match(TOKEN) ?? []).map((t) =>
    t.startsWith("'") ? t : (/^["`[]/.test(t) ? t.slice(1, -1) : t).toLowerCase(),
  );
}

/** One sqlite_schema statement as tokens, without constraint names, columns sorted. */
function normalizeSqliteStatement(sql: string): string {
  const tokens = sqliteTokens(sql);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === 'constraint') {
      i++; // and its name
      continue;
    }
    out.push(tokens[i]);
  }
  const text = out.join(' ');
  return /^create table /.test(text) ? sortedColumns(text) : text;
}

/** What `.schema` prints for a SQLite file (without dbdoctor's tables), normalized. */
export function normalizedSqliteSchema(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT LIKE 'dbdoctor\\_migrations%' ESCAPE '\\'",
      )
      .all() as { sql: string }[];
    return rows
      .map((r) => normalizeSqliteStatement(r.sql))
      .sort()
      .join(';\n');
  } finally {
    db.close();
  }
}
