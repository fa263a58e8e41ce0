import { type MysqlToken, tokenizeMysql } from './split.js';

/*
 * What a statement reaches beyond the database it runs in, read from its tokens (the MySQL
 * lexer of split.ts, with `/*!…*​/` executable comments read as code, as the server reads them).
 * The doctor's replay uses this only when its own account cannot create the throwaway account
 * that lets the server itself confine the replay (see scratch.ts): accounts and privileges,
 * server settings (GLOBAL, PERSIST, @@global.), foreign servers, plugins and UDF libraries,
 * files on the server, replication, tablespaces, other databases (by a qualified name, USE,
 * CREATE/ALTER/DROP DATABASE) and SQL built at run time (PREPARE/EXECUTE), which no lexer sees.
 */

/** The databases of the server, to tell a database qualifier from a table's or an alias. */
export interface DatabaseNames {
  /** The scratch database: qualifying a name with it stays inside. */
  scratch: string;
  /** The server's databases as the account sees them (SHOW DATABASES), folded by `fold`. */
  databases: ReadonlySet<string>;
  /** Database names as the server compares them: lower-cased unless lower_case_table_names is 0. */
  fold(name: string): string;
}

/** Words after which a new statement starts inside a compound body (and at a label's `:`). */
const STATEMENT_START = new Set(['BEGIN', 'THEN', 'ELSE', 'DO', 'LOOP', 'REPEAT', 'ROW']);
/** information_schema cannot be written: reading it stays inside. */
const READ_ONLY_DATABASES = new Set(['information_schema']);

const ACCOUNTS = 'it manages accounts or privileges, which belong to the whole server';
const SETTING = 'it changes a server-wide setting';
const SERVER = 'it acts on the whole server';
const RUNTIME_SQL = 'it runs SQL built while it runs, which cannot be checked before';

function isName(t: MysqlToken | undefined): boolean {
  return t !== undefined && (t.kind === 'word' || t.kind === 'ident' || t.kind === 'dquoted');
}

function isWord(t: MysqlToken | undefined, ...words: string[]): boolean {
  return t !== undefined && t.kind === 'word' && words.includes(t.text);
}

/** Why the statement starting at token `i` reaches beyond its database, or null. */
function statementReason(t: readonly MysqlToken[], i: number, names: DatabaseNames): string | null {
  const a = t[i]!;
  if (a.kind !== 'word') return null;
  let j = i + 1;
  if (isWord(t[j], 'OR') && isWord(t[j + 1], 'REPLACE')) j += 2;
  const b = t[j];
  const c = t[j + 1];
  switch (a.text) {
    case 'CREATE':
    case 'ALTER':
    case 'DROP':
    case 'RENAME':
      if (isWord(b, 'USER', 'ROLE')) return ACCOUNTS;
      if (a.text === 'RENAME') return null;
      if (isWord(b, 'SERVER')) return 'it defines a foreign server, which belongs to the whole server';
      if (isWord(b, 'DATABASE', 'SCHEMA')) return 'it creates, changes or drops a database';
      if (isWord(b, 'TABLESPACE', 'LOGFILE')) return 'tablespaces belong to the whole server';
      if (a.text === 'ALTER' && isWord(b, 'INSTANCE')) return SERVER;
      return null;
    case 'GRANT':
    case 'REVOKE':
      return ACCOUNTS;
    case 'SET':
      if (isWord(b, 'PASSWORD') || (isWord(b, 'DEFAULT') && isWord(c, 'ROLE'))) return ACCOUNTS;
      return null;
    case 'USE':
      return isName(b) && names.fold(b!.value) === names.fold(names.scratch)
        ? null
        : 'it switches to another database';
    case 'INSTALL':
    case 'UNINSTALL':
      return 'it installs or removes a plugin of the whole server';
    case 'FLUSH':
    case 'PURGE':
    case 'RESET':
    case 'KILL':
    case 'SHUTDOWN':
    case 'RESTART':
    case 'CLONE':
    case 'BINLOG':
    case 'BACKUP':
      return SERVER;
    case 'CACHE':
      return isWord(b, 'INDEX') ? 'key caches belong to the whole server' : null;
    case 'LOAD':
      if (isWord(b, 'INDEX')) return 'key caches belong to the whole server';
      return isWord(b, 'DATA', 'XML') ? 'it reads files on the server' : null;
    case 'CHANGE':
      return isWord(b, 'MASTER', 'REPLICATION') ? 'it changes replication' : null;
    case 'START':
    case 'STOP':
      return isWord(b, 'SLAVE', 'REPLICA', 'ALL', 'GROUP_REPLICATION') ? 'it changes replication' : null;
    case 'PREPARE':
    case 'EXECUTE':
      return RUNTIME_SQL;
    default:
      return null;
  }
}

/**
 * Why `sql` would reach beyond the scratch database `names.scratch` (accounts, server settings,
 * foreign servers, plugins, files, replication, other databases, SQL built at run time), or
 * null when, as far as its tokens tell, it stays inside. Statements inside a stored program's
 * body are checked as well.
 */
export function serverWideReason(sql: string, names: DatabaseNames): string | null {
  // The session's sql_mode decides whether a backslash escapes in a string, and the statement
  // alone cannot tell which is in force (a migration may SET it): read both ways, and a reason
  // either reading finds counts ('\' hides `other.t` from one reading and not the other).
  return (
    reasonIn(tokenizeMysql(sql), names) ?? reasonIn(tokenizeMysql(sql, { backslashEscapes: false }), names)
  );
}

function reasonIn(t: readonly MysqlToken[], names: DatabaseNames): string | null {
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    const prev = t[i - 1];
    const atStart =
      prev === undefined ||
      (prev.kind === 'punct' && (prev.text === ';' || (prev.text === ':' && t[i + 1]?.text !== '='))) ||
      (prev.kind === 'word' && STATEMENT_START.has(prev.text));
    if (atStart) {
      const reason = statementReason(t, i, names);
      if (reason !== null) return reason;
    }
    if (tok.kind === 'word') {
      // SET GLOBAL x, SET @a = 1, GLOBAL x, @@global.x, and MySQL 8's PERSIST forms.
      if (
        (tok.text === 'GLOBAL' || tok.text === 'PERSIST' || tok.text === 'PERSIST_ONLY') &&
        (isWord(prev, 'SET') || prev?.text === ',' || prev?.text === '@')
      )
        return SETTING;
      if ((tok.text === 'OUTFILE' || tok.text === 'DUMPFILE') && isWord(prev, 'INTO'))
        return 'it writes a file on the server';
      if (tok.text === 'LOAD_FILE' && t[i + 1]?.text === '(') return 'it reads a file on the server';
      if (tok.text === 'SONAME') return 'it loads a library into the server';
      // Anywhere, not only at a statement's start: a handler's action (DECLARE … HANDLER FOR
      // SQLWARNING EXECUTE IMMEDIATE …) runs SQL no lexer sees.
      if (tok.text === 'EXECUTE' || tok.text === 'PREPARE') return RUNTIME_SQL;
    }
    // `db`.t, db.t.c: the first part of a dotted name, when it names a database.
    if (isQualifier(t, i)) {
      const db = names.fold(tok.value);
      if (db !== names.fold(names.scratch) && names.databases.has(db) && !READ_ONLY_DATABASES.has(db))
        return `it names the database ${tok.value}, not the scratch database`;
    }
  }
  return null;
}

/**
 * The statement without its first `DEFINER = user` clause (mysqldump writes it inside a
 * `/*!50013 … *​/` comment), so that the object's definer becomes the account that runs it; null
 * when it has none.
 */
export function withoutDefiner(sql: string): string | null {
  const t = tokenizeMysql(sql);
  for (let i = 0; i + 2 < t.length; i++) {
    if (!isWord(t[i], 'DEFINER') || t[i + 1]!.text !== '=') continue;
    let j = i + 2;
    if (isWord(t[j], 'CURRENT_USER')) {
      j++;
      if (t[j]?.text === '(' && t[j + 1]?.text === ')') j += 2;
    } else {
      if (t[j]!.kind === 'punct') return null;
      j++;
      if (t[j]?.text === '@') {
        j += 2;
        // An unquoted host may hold `.` and `-` (app@10.0.0.1, app@db-1).
        while (
          (t[j]?.text === '.' || t[j]?.text === '-' || t[j]?.text === '%') &&
          t[j]!.start === t[j - 1]!.end
        )
          j += t[j + 1] !== undefined && t[j + 1]!.start === t[j]!.end && t[j + 1]!.kind !== 'punct' ? 2 : 1;
      }
    }
    const end = t[j - 1]!.end;
    return `${sql.slice(0, t[i]!.start)}${sql.slice(end)}`;
  }
  return null;
}

/** Whether token `i` is the first part of a dotted name (`db`.t, db.t.c), not a number, variable or later part. */
function isQualifier(t: readonly MysqlToken[], i: number): boolean {
  const tok = t[i]!;
  const prev = t[i - 1];
  return (
    isName(tok) &&
    t[i + 1]?.kind === 'punct' &&
    t[i + 1]!.text === '.' &&
    !(prev?.kind === 'punct' && (prev.text === '.' || prev.text === '@')) &&
    !(tok.kind === 'word' && /^[0-9]+$/.test(tok.value))
  );
}

/**
 * The statement with names qualified by the live database `live` (MySQL Workbench writes
 * `` `app`.`users` `` everywhere, and `USE app`) qualified by the scratch database instead, which
 * stands in for it during the replay; `sql` itself when none is. Only identifiers before a `.`
 * (and the name of `USE`) change, never text in strings or comments.
 */
export function retarget(sql: string, live: string, names: Pick<DatabaseNames, 'scratch' | 'fold'>): string {
  const t = tokenizeMysql(sql);
  let out = '';
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    // `USE app` at the top of a Workbench script, too.
    const used = i === 1 && isWord(t[0], 'USE') && isName(t[1]) && t.length === 2;
    if (!(used || isQualifier(t, i)) || names.fold(t[i]!.value) !== names.fold(live)) continue;
    out += `${sql.slice(from, t[i]!.start)}\`${names.scratch.replaceAll('`', '``')}\``;
    from = t[i]!.end;
  }
  return from === 0 ? sql : out + sql.slice(from);
}
