import { tokenizePostgres } from './split.js';

/*
 * Statements whose effect reaches beyond the database they run in. Roles, tablespaces and
 * databases are shared by the whole cluster (PG docs, "Managing Databases" 22.1 and
 * "Database Roles" 21.1; the shared catalogs pg_authid, pg_auth_members, pg_database,
 * pg_tablespace, pg_db_role_setting); ALTER SYSTEM rewrites postgresql.auto.conf; COPY to or
 * from a server file or program touches the server's file system; a subscription connects to
 * another server. Replaying such a statement in a scratch database on the live cluster would
 * change the live server, so the doctor's replay skips them unless its scratch database is on
 * a server of its own.
 */

/** Leading words (upper-cased) of a statement, comments and whitespace dropped. */
function leadingWords(sql: string, count: number): string[] {
  const words: string[] = [];
  for (const t of tokenizePostgres(sql)) {
    if (words.length >= count) break;
    words.push(t.kind === 'word' ? t.text.toUpperCase() : t.text);
  }
  return words;
}

const ROLE_WORDS = new Set(['ROLE', 'USER', 'GROUP']);
const SHARED_OBJECTS = new Set(['DATABASE', 'TABLESPACE']);

/**
 * Why `sql` reaches beyond the database it runs in (a short phrase), or null when its effect
 * stays inside it. `database` is the name of the database it would run in: ALTER DATABASE on
 * that one only is local. Lexical: dynamic SQL (EXECUTE in a DO block or function) is not seen.
 */
export function clusterWideReason(sql: string, database: string): string | null {
  const tokens = tokenizePostgres(sql);
  const w = leadingWords(sql, 6);
  const [a, b] = w;
  if (a === undefined) return null;
  if ((a === 'CREATE' || a === 'ALTER' || a === 'DROP') && b !== undefined && ROLE_WORDS.has(b)) {
    return 'roles are shared by the whole cluster';
  }
  if (a === 'DROP' && b === 'OWNED') return null;
  if (a === 'REASSIGN' && b === 'OWNED')
    return 'REASSIGN OWNED also changes shared objects (databases, tablespaces)';
  if (a === 'ALTER' && b === 'SYSTEM') return 'ALTER SYSTEM changes the server configuration';
  if ((a === 'CREATE' || a === 'DROP' || a === 'ALTER') && b === 'TABLESPACE') {
    return 'tablespaces are shared by the whole cluster';
  }
  if ((a === 'CREATE' || a === 'DROP') && b === 'DATABASE')
    return 'databases are shared by the whole cluster';
  if (a === 'ALTER' && b === 'DATABASE') {
    const name = tokens[2];
    const named =
      name?.kind === 'quoted' ? name.text.slice(1, -1).replaceAll('""', '"') : name?.text.toLowerCase();
    return named === database ? null : 'it changes another database of the cluster';
  }
  if (a === 'COMMENT' || a === 'SECURITY') {
    // COMMENT ON / SECURITY LABEL … ON ROLE|DATABASE|TABLESPACE: pg_shdescription and
    // pg_shseclabel are shared catalogs.
    const target = w[w.indexOf('ON') + 1];
    if (w.includes('ON') && target !== undefined && (ROLE_WORDS.has(target) || SHARED_OBJECTS.has(target))) {
      return `a ${target.toLowerCase()}'s comment or label is shared by the whole cluster`;
    }
    return null;
  }
  if (a === 'GRANT' || a === 'REVOKE')
    return grantReason(tokens.map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.text)));
  if (a === 'COPY') {
    const upper = tokens.map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.text));
    const dir = upper.findIndex((x) => x === 'TO' || x === 'FROM');
    const next = dir >= 0 ? tokens[dir + 1] : undefined;
    if (next && (upper[dir + 1] === 'PROGRAM' || next.kind === 'string')) {
      return 'COPY with a server file or program reaches the server’s file system';
    }
    return null;
  }
  if ((a === 'CREATE' || a === 'ALTER') && b === 'SUBSCRIPTION')
    return 'a subscription connects to another server';
  return null;
}

/**
 * GRANT/REVOKE of role membership (no ON clause) changes pg_auth_members; privileges ON
 * DATABASE or ON TABLESPACE change shared objects. Privileges on a database's own objects are local.
 */
function grantReason(words: string[]): string | null {
  const on = words.indexOf('ON');
  if (on < 0) return 'role membership is shared by the whole cluster';
  const target = words[on + 1];
  if (target === 'DATABASE' || target === 'TABLESPACE')
    return `privileges on a ${target.toLowerCase()} are shared by the whole cluster`;
  return null;
}

/**
 * `sql` with the string after every PASSWORD keyword replaced by '***', for messages: a
 * skipped `ALTER ROLE … PASSWORD '…'` is named, its secret never printed.
 */
export function withoutPasswords(sql: string): string {
  const tokens = tokenizePostgres(sql);
  let out = '';
  let at = 0;
  for (const [i, t] of tokens.entries()) {
    const previous = tokens[i - 1];
    if (t.kind === 'string' && previous?.kind === 'word' && previous.text.toUpperCase() === 'PASSWORD') {
      out += `${sql.slice(at, t.start)}'***'`;
      at = t.end;
    }
  }
  return out + sql.slice(at);
}
