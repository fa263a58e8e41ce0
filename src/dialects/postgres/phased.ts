/**
 * Statements that commit in phases (PostgreSQL's CONCURRENTLY forms) and what a failure of one
 * leaves behind. PG docs, CREATE INDEX "Building Indexes Concurrently": "If a problem arises while
 * scanning the table, such as a deadlock or a uniqueness violation in a unique index, the CREATE
 * INDEX command will fail but leave behind an 'invalid' index ... The recommended recovery
 * method in such cases is to drop the index and try again to perform CREATE INDEX CONCURRENTLY."
 * `IF NOT EXISTS` on a retry would skip the build and keep the invalid index.
 */
import type { Connection, PhasedStatements, StatementKind } from '../dialect.js';

/** The text with comments blanked out, so keywords can be read from the start. */
function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').trim();
}

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE_INDEX_CONCURRENTLY = new RegExp(
  String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:(${IDENT})\s+)?ON\s+(?:ONLY\s+)?(${IDENT})(?:\s*\.\s*(${IDENT}))?`,
  'i',
);

/** Which kind of statement `sql` is, for retry decisions. */
function classify(sql: string): StatementKind {
  const text = withoutComments(sql);
  if (/^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i.test(text)) return 'concurrent-index';
  // Both commit part-way: REINDEX leaves `_ccnew` invalid indexes, DETACH a "detach pending"
  // partition that only `... FINALIZE` completes. A blind retry fails or does something else.
  if (/^REINDEX\b[\s\S]*\bCONCURRENTLY\b/i.test(text)) return 'not-retryable';
  if (/^ALTER\s+TABLE\b[\s\S]*\bDETACH\s+PARTITION\b[\s\S]*\bCONCURRENTLY\b/i.test(text))
    return 'not-retryable';
  return 'atomic';
}

/** An identifier as PostgreSQL stores it: quoted kept exactly, unquoted folded to lower case. */
function storedName(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

const INVALID_INDEXES = `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
   FROM pg_catalog.pg_index i
   JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND c.relkind = 'i'`;

/** PostgreSQL: invalid indexes are read from pg_index.indisvalid. */
export const postgresPhased: PhasedStatements = {
  classify,
  async invalidIndexes(conn: Connection): Promise<string[]> {
    // Partitioned parents (relkind 'I') are invalid by design until every partition is attached.
    const rows = await conn.query<{ name: string }>(`${INVALID_INDEXES} ORDER BY 1`);
    return rows.map((r) => r.name);
  },
  async namedInvalidIndex(conn: Connection, sql: string): Promise<string | null> {
    const m = CREATE_INDEX_CONCURRENTLY.exec(withoutComments(sql));
    if (!m?.[1]) return null; // an unnamed index is found by comparing snapshots instead
    // The database resolves the table as the statement did (quoting, schema, search_path).
    const rows = await conn.query<{ name: string }>(
      `${INVALID_INDEXES} AND i.indrelid = pg_catalog.to_regclass($1) AND c.relname = $2`,
      [m[3] ? `${m[2]}.${m[3]}` : m[2], storedName(m[1])],
    );
    return rows[0]?.name ?? null;
  },
  dropIndexSql: (qualifiedName) => `DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName}`,
};
