/**
 * Canonical spellings of PostgreSQL expressions, obtained from the server rather than from
 * rules about text. The catalogs keep an expression as a parse tree, and one meaning can be
 * stored as different trees: a pg_dump/restore round trip re-parses the deparsed text of
 * `status IN ('a','b')` on a varchar column into `ARRAY['a'::varchar::text, …]` where the
 * original tree deparses as `(ARRAY['a'::varchar, …])::text[]`. The planner's constant folding
 * (eval_const_expressions) reduces both to the same constant `'{a,b}'::text[]`, and
 * `EXPLAIN (VERBOSE)` prints the folded expression without running anything. So each CHECK,
 * default, generated column, index key and index predicate is compared as EXPLAIN prints it.
 */

import type { PostgresConnection } from './driver.js';
import { quoteIdent } from './quote.js';
import { tokenizePostgres } from './split.js';

/** How long a canonicalizing EXPLAIN may wait for a table lock before the text is used as is. */
const LOCK_TIMEOUT = '5s';

/** The expressions of one relation (or, with `table` null, ones that reference no column). */
export interface ExpressionBatch {
  table: string | null;
  /** A key that changes when anything the expressions' meaning depends on changes (column types). */
  signature: string;
  texts: string[];
}

/**
 * The canonical text of every expression of every batch, keyed by {@link canonicalKey}, read
 * with EXPLAIN in one READ ONLY transaction that is rolled back (a savepoint when the caller
 * already has a transaction open). An expression the server cannot plan (a lock it could not
 * get within {@link LOCK_TIMEOUT}, a missing function) keeps its deparsed text. `memo` keeps
 * results between calls on databases of the same server (the doctor's replay).
 */
export async function canonicalExpressions(
  conn: PostgresConnection,
  schema: string,
  batches: ExpressionBatch[],
  memo?: Map<string, unknown>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const todo: ExpressionBatch[] = [];
  for (const b of batches.flatMap(distinctChunks)) {
    if (b.texts.length === 0) continue;
    const cached = memo?.get(memoKey(b)) as string[] | undefined;
    if (cached) record(out, b, cached);
    else todo.push(b);
  }
  if (todo.length === 0) return out;
  const own = !(await conn.inTransaction());
  await conn.exec(own ? 'BEGIN READ ONLY' : 'SAVEPOINT dbdoctor_canonical');
  try {
    if (own) await conn.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const fromOf = (b: ExpressionBatch) =>
      b.table === null ? '' : ` FROM ONLY ${quoteIdent(schema)}.${quoteIdent(b.table)}`;
    for (let start = 0; start < todo.length; start += GROUP) {
      const group = todo.slice(start, start + GROUP);
      const grouped = await explainGroup(
        conn,
        group.map((b) => ({ texts: b.texts, from: fromOf(b) })),
      );
      for (const [i, b] of group.entries()) {
        let results = grouped?.[i] ?? (await explainOutputs(conn, b.texts, fromOf(b)));
        // One expression the server refuses must not cost the others their canonical form.
        if (results === null) {
          results = [];
          for (const t of b.texts) results.push((await explainOutputs(conn, [t], fromOf(b)))?.[0] ?? t);
        }
        const modern = results.map(modernValueFunctions);
        memo?.set(memoKey(b), modern);
        record(out, b, modern);
      }
    }
  } finally {
    await conn.exec(own ? 'ROLLBACK' : 'ROLLBACK TO SAVEPOINT dbdoctor_canonical');
    if (!own) await conn.exec('RELEASE SAVEPOINT dbdoctor_canonical');
  }
  return out;
}

/** A SELECT list holds at most 1,664 entries (MaxTupleAttributeNumber); stay well below. */
const MAX_EXPRESSIONS = 500;

/**
 * A batch without repeated texts (every table's `DEFAULT 0` lands in the one batch of
 * defaults), cut into SELECT lists the server accepts.
 */
function distinctChunks(b: ExpressionBatch): ExpressionBatch[] {
  const texts = [...new Set(b.texts)];
  const chunks: ExpressionBatch[] = [];
  for (let i = 0; i < texts.length; i += MAX_EXPRESSIONS)
    chunks.push({ ...b, texts: texts.slice(i, i + MAX_EXPRESSIONS) });
  return chunks;
}

/** Records the canonical texts of a batch, in the batch's order. */
function record(out: Map<string, string>, b: ExpressionBatch, canonical: string[]): void {
  for (const [i, t] of b.texts.entries()) out.set(canonicalKey(b.table, t), canonical[i] ?? t);
}

/** Key of one expression in the result of {@link canonicalExpressions}. */
export function canonicalKey(table: string | null, text: string): string {
  return `${table ?? ''}\0${text}`;
}

function memoKey(b: ExpressionBatch): string {
  return `canonical\0${b.table ?? ''}\0${b.signature}\0${b.texts.join('\0')}`;
}

/** Tables whose EXPLAINs travel in one round trip (a 1,000-table schema: 20 instead of 3,000). */
const GROUP = 50;

/**
 * {@link explainOutputs} for several tables in one round trip (one simple-protocol query of
 * several statements). Null when any of them failed: the caller then asks table by table.
 * An entry is null when that table's output could not be read.
 */
async function explainGroup(
  conn: PostgresConnection,
  items: { texts: string[]; from: string }[],
): Promise<(string[] | null)[] | null> {
  const statements = items.map(
    (it) => `EXPLAIN (VERBOSE, COSTS OFF) SELECT ${it.texts.map((t) => `(${t})`).join(', ')}${it.from}`,
  );
  let results: { rows: { 'QUERY PLAN': string }[] }[];
  try {
    const r = await conn.client.query(
      `SAVEPOINT dbdoctor_explain; ${statements.join('; ')}; RELEASE SAVEPOINT dbdoctor_explain`,
    );
    results = (Array.isArray(r) ? r : [r]) as typeof results;
  } catch {
    await conn.exec('ROLLBACK TO SAVEPOINT dbdoctor_explain');
    await conn.exec('RELEASE SAVEPOINT dbdoctor_explain');
    return null;
  }
  return items.map((it, i) => outputsOf(results[i + 1]?.rows ?? [], it.texts.length));
}

/** The plan's output list, cut into `count` expressions, or null when it is not that. */
function outputsOf(rows: { 'QUERY PLAN': string }[], count: number): string[] | null {
  const line = rows.map((r) => r['QUERY PLAN']).find((l) => /^\s*Output: /.test(l));
  if (line === undefined) return null;
  const parts = splitTopLevel(line.replace(/^\s*Output: /, ''));
  return parts.length === count ? parts : null;
}

/**
 * The expressions as EXPLAIN VERBOSE prints the plan's output list, or null when the server
 * refused the statement (the savepoint keeps the transaction usable).
 */
async function explainOutputs(
  conn: PostgresConnection,
  texts: string[],
  from: string,
): Promise<string[] | null> {
  const select = texts.map((t) => `(${t})`).join(', ');
  await conn.exec('SAVEPOINT dbdoctor_explain');
  try {
    const rows = await conn.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (VERBOSE, COSTS OFF) SELECT ${select}${from}`,
    );
    await conn.exec('RELEASE SAVEPOINT dbdoctor_explain');
    return outputsOf(rows, texts.length);
  } catch {
    await conn.exec('ROLLBACK TO SAVEPOINT dbdoctor_explain');
    return null;
  }
}

/** Splits a deparsed list at the commas outside parentheses, brackets, strings and quotes. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (const t of tokenizePostgres(list)) {
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0) {
      parts.push(list.slice(start, t.start).trim());
      start = t.end;
    }
  }
  parts.push(list.slice(start).trim());
  return parts;
}

/**
 * What servers before PostgreSQL 10 stored for the SQL-standard value functions (they turned
 * them into function calls and casts at parse time; ruleutils.c prints them back as such), and
 * what PostgreSQL 10+ stores and prints instead. A database created by an older server and
 * carried forward by pg_dump keeps the old spelling; both evaluate the same function at run
 * time (`'now'::text` is cast at run time, unlike the constant `'now'::date`; the planner
 * prints that cast as `('now'::cstring)::date`).
 */
const LEGACY_VALUE_FUNCTIONS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^now\(\)/, () => 'CURRENT_TIMESTAMP'],
  [/^\('now'::(?:text|cstring)\)::date/, () => 'CURRENT_DATE'],
  [
    /^\('now'::(?:text|cstring)\)::time(?:\((\d+)\))? with time zone/,
    (m) => `CURRENT_TIME${precision(m[1])}`,
  ],
  [
    /^\('now'::(?:text|cstring)\)::timestamp(?:\((\d+)\))? with time zone/,
    (m) => `CURRENT_TIMESTAMP${precision(m[1])}`,
  ],
  [
    /^\('now'::(?:text|cstring)\)::time(?:\((\d+)\))? without time zone/,
    (m) => `LOCALTIME${precision(m[1])}`,
  ],
  [
    /^\('now'::(?:text|cstring)\)::timestamp(?:\((\d+)\))? without time zone/,
    (m) => `LOCALTIMESTAMP${precision(m[1])}`,
  ],
  [/^"current_user"\(\)/, () => 'CURRENT_USER'],
  [/^"session_user"\(\)/, () => 'SESSION_USER'],
  [/^"current_schema"\(\)/, () => 'CURRENT_SCHEMA'],
  [/^current_database\(\)/, () => 'CURRENT_CATALOG'],
];

function precision(digits: string | undefined): string {
  return digits === undefined ? '' : `(${digits})`;
}

/**
 * Deparsed text with the pre-10 spellings of CURRENT_TIMESTAMP, CURRENT_DATE, … replaced by
 * the SQL-standard names PostgreSQL 10+ prints. Matches at token starts only, never inside a
 * string, a quoted name or a longer name (`my_now()`, `x.now()`).
 */
export function modernValueFunctions(text: string): string {
  let out = '';
  let last = 0;
  let prev: string | null = null;
  for (const t of tokenizePostgres(text)) {
    if (t.start < last) continue;
    const qualified = prev === '.';
    prev = t.text;
    if (qualified || (t.kind !== 'word' && t.kind !== 'quoted' && t.text !== '(')) continue;
    const rest = text.slice(t.start);
    for (const [pattern, spell] of LEGACY_VALUE_FUNCTIONS) {
      const m = pattern.exec(rest);
      if (!m) continue;
      out += text.slice(last, t.start) + spell(m);
      last = t.start + m[0].length;
      break;
    }
  }
  return out + text.slice(last);
}
