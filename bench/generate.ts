/**
 * Benchmarks for schema as code (issue 14), on a 1,000-table schema (8 columns, 2 indexes,
 * 1 foreign key each), SQLite and PostgreSQL:
 * - `pull` (introspect + the database's own texts + schema.sql written) against introspection
 *   alone in the same run (target: under 1 s);
 * - `generate` of one change (a column added to one table) with a warm cache (the doctor's
 *   expected schemas cached), against introspection alone and against the schema file's DDL
 *   run through the raw driver in one transaction, the least loading it costs (target: under
 *   2 s). The project is 500 migrations of two tables each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import '../src/dialects/builtin.js';
import { doctor } from '../src/doctor/doctor.js';
import { generateMigration } from '../src/generate/generate.js';
import { migrate } from '../src/migrations/apply.js';
import { introspect } from '../src/migrations/introspect.js';
import { pull } from '../src/schema-file/pull.js';

const TABLES = 1000;
const PER_MIGRATION = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ADMIN = process.env.DBDOCTOR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DIALECTS = (process.env.BENCH_GENERATE_DIALECTS ?? 'sqlite,postgres').split(',');

function tableSql(i: number): string {
  const t = `t${String(i).padStart(4, '0')}`;
  const parent = i > 1 ? `t${String(i - 1).padStart(4, '0')}` : null;
  return [
    `CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(120), score INTEGER DEFAULT 0, active BOOLEAN NOT NULL DEFAULT TRUE, created_at TIMESTAMP, note TEXT, parent_id INTEGER${parent ? ` REFERENCES ${parent} (id) ON DELETE CASCADE` : ''})`,
    `CREATE INDEX ${t}_name ON ${t} (name)`,
    `CREATE UNIQUE INDEX ${t}_email ON ${t} (email, created_at)`,
  ].join(';\n');
}

async function median(fn: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await fn());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)] as number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(1)} ms`);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** A database for `dialect` and how to remove it. */
async function database(
  dialect: string,
  tmp: string,
  suffix = 'project',
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') return { url: `sqlite:${path.join(tmp, 'app.sqlite')}`, drop: async () => {} };
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  const name = `dbdoctor_bench_generate_${suffix}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The schema file's statements in one transaction on an empty database, through the raw driver. */
async function rawDdl(dialect: string, script: string): Promise<void> {
  if (dialect === 'sqlite') {
    const db = new Database(':memory:');
    db.exec(`BEGIN;\n${script}\nCOMMIT;`);
    db.close();
    return;
  }
  const scratch = await database(
    dialect,
    fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-ddl-')),
    'ddl',
  );
  try {
    const c = new pg.Client({ connectionString: scratch.url });
    await c.connect();
    await c.query(`BEGIN;\n${script}\nCOMMIT;`);
    await c.end();
  } finally {
    await scratch.drop();
  }
}

async function bench(dialect: string): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `dbdoctor-bench-generate-${dialect}-`));
  const db = await database(dialect, tmp);
  try {
    const dir = path.join(tmp, 'migrations');
    fs.mkdirSync(dir);
    for (let m = 0; m < TABLES / PER_MIGRATION; m++) {
      const id = String(m + 1).padStart(4, '0');
      const tables = Array.from({ length: PER_MIGRATION }, (_, k) => tableSql(m * PER_MIGRATION + k + 1));
      fs.writeFileSync(path.join(dir, `${id}_tables.sql`), `-- migrate:up\n${tables.join(';\n')};\n`);
    }
    await migrate({ database: db.url, dir, backup: { enabled: false } });
    const cacheDir = path.join(tmp, '.dbdoctor-cache');
    await doctor({ database: db.url, dir, cacheDir }); // warms the cache

    const schemaFile = path.join(tmp, 'schema.sql');
    const introspection = await median(() => timed(() => introspect({ database: db.url })));
    const pulled = await median(() => timed(() => pull({ database: db.url, dir, file: schemaFile })));
    console.log(
      `${dialect} pull ${TABLES} tables: ${fmt(pulled)} vs introspection alone ${fmt(introspection)} = ${ratio(pulled, introspection)} (target < 1 s)`,
    );

    // One change: a column added to one table.
    const text = fs.readFileSync(schemaFile, 'utf8');
    fs.writeFileSync(schemaFile, `${text}\nALTER TABLE t0500 ADD COLUMN nickname TEXT;\n`);
    const options = { database: db.url, dir, schemaFile, cacheDir, name: 'add_nickname', write: false };
    const first = await generateMigration(options);
    if (first.up.map((o) => o.kind).join() !== 'addColumn') throw new Error(`unexpected plan: ${first.code}`);
    if (first.verifiedOn !== 'schema-file') throw new Error(`verified on ${first.verifiedOn}`);
    const generated = await median(() => timed(() => generateMigration(options)));
    // What loading the schema file costs at least: its statements in one transaction on an
    // empty database, through the raw driver.
    const ddl = await median(() => timed(() => rawDdl(dialect, fs.readFileSync(schemaFile, 'utf8'))));
    console.log(
      `${dialect} generate, ${TABLES} tables in ${TABLES / PER_MIGRATION} migrations, one change, warm cache: ${fmt(generated)} vs introspection alone ${fmt(introspection)} = ${ratio(generated, introspection)}; vs the schema file's DDL through the raw driver ${fmt(ddl)} = ${ratio(generated, ddl)} (target < 2 s)`,
    );
  } finally {
    await db.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

for (const dialect of DIALECTS) await bench(dialect);
