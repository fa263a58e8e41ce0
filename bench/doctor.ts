/**
 * Benchmarks for the schema model and the doctor (issue 3):
 * - introspection of a 1,000-table schema (8 columns, 2 indexes, 1 FK each) on SQLite and
 *   PostgreSQL, against a floor that runs the same catalog reads through the raw driver and
 *   builds nothing;
 * - `dbdoctor doctor` on a 500-migration SQLite project with a cold cache (replays all 500
 *   into a scratch database) and a warm one, in process against a floor that does the
 *   unavoidable work through the raw driver (read + hash the files, read the history,
 *   the same catalog reads), and as a whole CLI process for the 1 s target; the cold doctor
 *   against applying the same 500 migrations (target: at most 2x);
 * - a cold doctor on a 300-migration PostgreSQL project against applying it (target: 2x);
 * - a cold doctor on two 500-migration MySQL/MariaDB projects (one CREATE TABLE each; five
 *   statements each: a table with a foreign key to the previous one, two indexes, a column
 *   added to the previous table, a row, and a view every tenth) against applying each (target:
 *   2x). `BENCH_MYSQL_DOCTOR_MIGRATIONS` changes the count, `DBDOCTOR_TEST_MYSQL_URL` the server.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import '../src/dialects/builtin.js';
import { doctor } from '../src/doctor/doctor.js';
import { migrate } from '../src/migrations/apply.js';
import { introspect } from '../src/migrations/introspect.js';

const TABLES = 1000;
const MIGRATIONS = 500;
const PG_MIGRATIONS = Number(process.env.BENCH_PG_MIGRATIONS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ADMIN = process.env.DBDOCTOR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLI = path.resolve(import.meta.dirname, '../dist/cli/main.js');

function tableSql(i: number): string {
  const t = `t${String(i).padStart(4, '0')}`;
  const parent = i > 1 ? `t${String(i - 1).padStart(4, '0')}` : null;
  return [
    `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(120), score INTEGER DEFAULT 0, active BOOLEAN NOT NULL DEFAULT TRUE, created_at TIMESTAMP, note TEXT, parent_id INTEGER${parent ? ` REFERENCES ${parent} (id) ON DELETE CASCADE` : ''})`,
    `CREATE INDEX ${t}_name ON ${t} (name)`,
    `CREATE UNIQUE INDEX ${t}_email ON ${t} (email, created_at)`,
  ].join(';\n');
}

async function median(fn: () => Promise<number> | number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The catalog reads SQLite introspection needs, through better-sqlite3, building nothing. */
function sqliteCatalogFloor(file: string): void {
  const db = new Database(file, { readonly: true });
  const rows = db
    .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
    .all() as {
    type: string;
    name: string;
  }[];
  db.prepare("SELECT name, strict, wr FROM pragma_table_list WHERE schema = 'main'").all();
  for (const r of rows) {
    if (r.type !== 'table') continue;
    db.prepare(`PRAGMA table_xinfo("${r.name}")`).all();
    for (const ix of db.prepare(`PRAGMA index_list("${r.name}")`).all() as { name: string }[])
      db.prepare(`PRAGMA index_xinfo("${ix.name}")`).all();
    db.prepare(`PRAGMA foreign_key_list("${r.name}")`).all();
  }
  db.close();
}

const PG_FLOOR_QUERIES = [
  "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped",
  "SELECT con.conname, con.contype, con.conkey, con.confkey, con.confrelid, pg_get_constraintdef(con.oid) FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = 'public'",
  "SELECT i.relname, pg_get_indexdef(x.indexrelid), pg_get_expr(x.indpred, x.indrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = 'public'",
];

async function pgCatalogFloor(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const q of PG_FLOOR_QUERIES) await client.query(q);
  await client.end();
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(1)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

async function introspectionBench(tmp: string): Promise<void> {
  const file = path.join(tmp, 'wide.sqlite');
  const db = new Database(file);
  db.exec('BEGIN');
  for (let i = 1; i <= TABLES; i++) db.exec(tableSql(i));
  db.exec('COMMIT');
  db.close();
  const ours = await median(() => timed(() => introspect({ database: `sqlite:${file}` })));
  const floor = await median(() => timed(() => sqliteCatalogFloor(file)));
  console.log(
    `SQLite introspect ${TABLES} tables: dbdoctor ${fmt(ours)} vs raw PRAGMA reads ${fmt(floor)} = ${ratio(ours, floor)} (target < 2 s absolute)`,
  );

  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const name = `dbdoctor_bench_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  const url = u.toString();
  try {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('BEGIN');
    for (let i = 1; i <= TABLES; i++) await c.query(tableSql(i));
    await c.query('COMMIT');
    await c.end();
    const oursPg = await median(() => timed(() => introspect({ database: url })));
    const floorPg = await median(() => timed(() => pgCatalogFloor(url)));
    console.log(
      `PostgreSQL introspect ${TABLES} tables: dbdoctor ${fmt(oursPg)} vs raw catalog queries ${fmt(floorPg)} = ${ratio(oursPg, floorPg)} (target < 2 s absolute)`,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The work a warm doctor cannot avoid, through the raw driver: files, history, catalog. */
function warmDoctorFloor(dir: string, file: string): void {
  for (const f of fs.readdirSync(dir).sort())
    createHash('sha256')
      .update(fs.readFileSync(path.join(dir, f)))
      .digest('hex');
  const db = new Database(file, { readonly: true });
  db.prepare('SELECT * FROM dbdoctor_migrations ORDER BY id').all();
  db.close();
  sqliteCatalogFloor(file);
}

async function doctorBench(tmp: string): Promise<void> {
  const dir = path.join(tmp, 'project', 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= MIGRATIONS; i++) {
    const id = String(i).padStart(4, '0');
    fs.writeFileSync(
      path.join(dir, `${id}_t${id}.sql`),
      `-- migrate:up\n${tableSql(i)};\n\n-- migrate:down\nDROP TABLE t${id};\n`,
    );
  }
  const file = path.join(tmp, 'project', 'app.sqlite');
  const applied = await median(async () => {
    fs.rmSync(file, { force: true });
    return timed(() => migrate({ database: `sqlite:${file}`, dir, backup: { enabled: false } }));
  });
  const cacheDir = path.join(tmp, 'project', '.dbdoctor-cache');

  const cold = await median(async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    return timed(() => doctor({ database: `sqlite:${file}`, dir, cacheDir }));
  });
  const warm = await median(() => timed(() => doctor({ database: `sqlite:${file}`, dir, cacheDir })));
  const floor = await median(() => timed(() => warmDoctorFloor(dir, file)));
  // The CLI keeps its cache in the user's cache folder: one of its own here, filled by one
  // untimed run, so every timed run is warm and nothing is left in the user's.
  const cliRun = () =>
    execFileSync(process.execPath, [CLI, 'doctor', '--json', '--url', `sqlite:${file}`, '--dir', dir], {
      stdio: 'pipe',
      env: { ...process.env, DBDOCTOR_CACHE_DIR: path.join(tmp, 'cli-cache') },
    });
  cliRun();
  const cli = await median(() => timed(cliRun));
  console.log(
    `SQLite doctor, ${MIGRATIONS} migrations, cold cache (replays all): ${fmt(cold)} vs applying the same history ${fmt(applied)} = ${ratio(cold, applied)} (target <= 2x)`,
  );
  console.log(
    `SQLite doctor, ${MIGRATIONS} migrations, warm cache: dbdoctor ${fmt(warm)} vs raw floor (hash files + history + catalog reads) ${fmt(floor)} = ${ratio(warm, floor)}`,
  );
  console.log(`SQLite doctor, warm cache, whole CLI process: ${fmt(cli)} (target < 1 s)`);
}

/**
 * A cold doctor on PostgreSQL against applying the same history: the replay runs every
 * migration again in a scratch database, and must not cost much more than that.
 */
async function postgresDoctorBench(tmp: string): Promise<void> {
  const dir = path.join(tmp, 'pg-project', 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 1; i <= PG_MIGRATIONS; i++) {
    const id = String(i).padStart(4, '0');
    fs.writeFileSync(path.join(dir, `${id}_t${id}.sql`), `-- migrate:up\n${tableSql(i)};\n`);
  }
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const name = `dbdoctor_bench_doctor_${process.pid}`;
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  const url = u.toString();
  try {
    const applied = await median(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      return timed(() => migrate({ database: url, dir, backup: { enabled: false } }));
    });
    const cold = await median(() => timed(() => doctor({ database: url, dir, cacheDir: false })));
    console.log(
      `PostgreSQL doctor, ${PG_MIGRATIONS} migrations, cold (replays all): ${fmt(cold)} vs applying the same history ${fmt(applied)} = ${ratio(cold, applied)} (target <= 2x)`,
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const MYSQL_MIGRATIONS = Number(process.env.BENCH_MYSQL_DOCTOR_MIGRATIONS ?? 500);
const MYSQL_ADMIN = process.env.DBDOCTOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** MySQL migration `i` with one statement. */
function mysqlOneTable(i: number): string {
  const t = `t${String(i).padStart(4, '0')}`;
  return `CREATE TABLE ${t} (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, created_at DATETIME);`;
}

/** MySQL migration `i` with five statements (six every tenth), one of them changing the previous table. */
function mysqlRicher(i: number): string {
  const t = `t${String(i).padStart(4, '0')}`;
  const parent = i > 1 ? `t${String(i - 1).padStart(4, '0')}` : null;
  const statements = [
    `CREATE TABLE ${t} (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email VARCHAR(120), score INT DEFAULT 0, created_at DATETIME, parent_id INT${parent ? `, CONSTRAINT ${t}_parent FOREIGN KEY (parent_id) REFERENCES ${parent} (id) ON DELETE CASCADE` : ''})`,
    `CREATE INDEX ${t}_name ON ${t} (name)`,
    `CREATE UNIQUE INDEX ${t}_email ON ${t} (email, created_at)`,
    parent ? `ALTER TABLE ${parent} ADD COLUMN extra INT` : 'SELECT 1',
    `INSERT INTO ${t} (id, name) VALUES (1, 'first')`,
  ];
  if (i % 10 === 0) statements.push(`CREATE OR REPLACE VIEW v${i % 30} AS SELECT id, name FROM ${t}`);
  return statements.map((s) => `${s};`).join('\n');
}

/**
 * A cold doctor on MySQL/MariaDB against applying the same history, for two projects. The replay
 * re-reads what each migration's statements touched (README, "The doctor"); before, it read the
 * whole schema after every migration.
 */
async function mysqlDoctorBench(tmp: string): Promise<void> {
  const mysql = (await import('mysql2/promise')).default;
  const u = new URL(MYSQL_ADMIN);
  const admin = await mysql.createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || 'root',
    password: u.password ? decodeURIComponent(u.password) : undefined,
  });
  const name = `dbdoctor_bench_doctor_${process.pid}`;
  u.pathname = `/${name}`;
  const url = u.toString();
  try {
    for (const [label, migration] of [
      ['one CREATE TABLE each', mysqlOneTable],
      ['five statements each', mysqlRicher],
    ] as const) {
      const dir = path.join(tmp, `mysql-${label.split(' ')[0]}`, 'migrations');
      fs.mkdirSync(dir, { recursive: true });
      for (let i = 1; i <= MYSQL_MIGRATIONS; i++) {
        const id = String(i).padStart(4, '0');
        fs.writeFileSync(path.join(dir, `${id}_t${id}.sql`), `-- migrate:up\n${migration(i)}\n`);
      }
      const applied = await median(async () => {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
        await admin.query(`CREATE DATABASE \`${name}\``);
        return timed(() => migrate({ database: url, dir, backup: { enabled: false } }));
      });
      const cold = await median(() => timed(() => doctor({ database: url, dir, cacheDir: false })));
      console.log(
        `MySQL doctor, ${MYSQL_MIGRATIONS} migrations (${label}), cold (replays all): ${fmt(cold)} vs applying the same history ${fmt(applied)} = ${ratio(cold, applied)} (target <= 2x)`,
      );
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-doctor-'));
try {
  await introspectionBench(tmp);
  await doctorBench(tmp);
  await postgresDoctorBench(tmp);
  await mysqlDoctorBench(tmp);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
