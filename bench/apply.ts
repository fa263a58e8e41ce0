/**
 * Benchmark: apply 500 migrations (CREATE TABLE + CREATE INDEX each) to an empty database,
 * against floors measured in the same run through the raw driver: the same SQL plus one
 * history insert per migration, (a) one transaction per migration, (b) all in one.
 * Also `dbdoctor status` on the applied project as a whole process, against a minimal
 * Node script that reads the folder and runs one SELECT.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import '../src/dialects/builtin.js';
import { migrate } from '../src/migrations/apply.js';

const N = 500;
const ADMIN = process.env.DBDOCTOR_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLI = path.resolve(import.meta.dirname, '../dist/cli/main.js');

function makeProject(dir: string): { id: string; statements: string[] }[] {
  fs.mkdirSync(dir, { recursive: true });
  const out: { id: string; statements: string[] }[] = [];
  for (let i = 1; i <= N; i++) {
    const id = String(i).padStart(4, '0');
    const statements = [
      `CREATE TABLE t${id} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT)`,
      `CREATE INDEX t${id}_name ON t${id} (name)`,
    ];
    fs.writeFileSync(
      path.join(dir, `${id}_t${id}.sql`),
      `-- migrate:up\n${statements.map((s) => `${s};`).join('\n')}\n\n-- migrate:down\nDROP TABLE t${id};\n`,
    );
    out.push({ id, statements });
  }
  return out;
}

const HISTORY_SQLITE =
  'CREATE TABLE h (id TEXT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, status TEXT NOT NULL, applied_at TEXT NOT NULL, execution_ms INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL, statements_done INTEGER NOT NULL DEFAULT 0, statements_total INTEGER NOT NULL DEFAULT 0, error TEXT)';

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Medians of `runs` timings of the floor and of ours, run alternately (floor, ours, floor,
 * ...) so that drift in the machine (disk flushes, other load) hits both alike.
 */
async function interleaved(
  runs: number,
  floor: () => Promise<number>,
  ours: () => Promise<number>,
): Promise<{ floor: number; ours: number; ratio: number }> {
  const f: number[] = [];
  const o: number[] = [];
  for (let i = 0; i < runs; i++) {
    f.push(await floor());
    o.push(await ours());
  }
  // The median of each pair's ratio: a slow disk moment spoils one pair, not the figure.
  return { floor: mid(f), ours: mid(o), ratio: mid(o.map((x, i) => x / (f[i] as number))) };
}

async function sqliteBench(
  dir: string,
  project: { id: string; statements: string[] }[],
  tmp: string,
  runs: number,
) {
  let k = 0;
  const fresh = () => path.join(tmp, `s${k++}.sqlite`);
  const floor = (single: boolean) => async () => {
    const db = new Database(fresh());
    db.exec(HISTORY_SQLITE);
    const insert = db.prepare(
      "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES (?, ?, 'x', 'applied', ?, ?)",
    );
    const ms = await time(() => {
      if (single) db.exec('BEGIN IMMEDIATE');
      for (const [i, m] of project.entries()) {
        if (!single) db.exec('BEGIN IMMEDIATE');
        for (const s of m.statements) db.exec(s);
        insert.run(m.id, `t${m.id}`, new Date().toISOString(), i + 1);
        if (!single) db.exec('COMMIT');
      }
      if (single) db.exec('COMMIT');
    });
    db.close();
    return ms;
  };
  const ours = (single: boolean) => async () => {
    const url = `sqlite:${fresh()}`;
    return time(async () => {
      await migrate({ database: url, dir, singleTransaction: single, backup: { enabled: false } });
    });
  };
  const a = await interleaved(runs, floor(false), ours(false));
  const b = await interleaved(runs, floor(true), ours(true));
  return { floorA: a.floor, oursA: a.ours, ratioA: a.ratio, floorB: b.floor, oursB: b.ours, ratioB: b.ratio };
}

async function pgBench(dir: string, project: { id: string; statements: string[] }[], runs: number) {
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  let k = 0;
  const fresh = async () => {
    const name = `dbdoctor_bench_${process.pid}_${k++}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(ADMIN);
    u.pathname = `/${name}`;
    return { url: u.toString(), drop: () => admin.query(`DROP DATABASE ${name} WITH (FORCE)`) };
  };
  const floor = (single: boolean) => async () => {
    const db = await fresh();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(HISTORY_SQLITE.replace('applied_at TEXT', 'applied_at TIMESTAMPTZ'));
    const ms = await time(async () => {
      if (single) await c.query('BEGIN');
      for (const [i, m] of project.entries()) {
        if (!single) await c.query('BEGIN');
        for (const s of m.statements) await c.query(s);
        await c.query(
          "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES ($1, $2, 'x', 'applied', $3, $4)",
          [m.id, `t${m.id}`, new Date().toISOString(), i + 1],
        );
        if (!single) await c.query('COMMIT');
      }
      if (single) await c.query('COMMIT');
    });
    await c.end();
    await db.drop();
    return ms;
  };
  const ours = (single: boolean) => async () => {
    const db = await fresh();
    const ms = await time(async () => {
      await migrate({ database: db.url, dir, singleTransaction: single });
    });
    await db.drop();
    return ms;
  };
  const a = await interleaved(runs, floor(false), ours(false));
  const b = await interleaved(runs, floor(true), ours(true));
  const r = {
    floorA: a.floor,
    oursA: a.ours,
    ratioA: a.ratio,
    floorB: b.floor,
    oursB: b.ours,
    ratioB: b.ratio,
  };
  await admin.end();
  return r;
}

function statusBench(dir: string, tmp: string, runs: number) {
  const db = path.join(tmp, 'status.sqlite');
  execFileSync(process.execPath, [CLI, 'apply', '--no-backup', '--url', `sqlite:${db}`, '--dir', dir]);
  const minimal = path.join(tmp, 'minimal.mjs');
  fs.writeFileSync(
    minimal,
    `import fs from 'node:fs'; import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve(import.meta.dirname, '../package.json'))});
const Database = require('better-sqlite3');
const files = fs.readdirSync(process.argv[2]);
const db = new Database(process.argv[3]);
const rows = db.prepare('SELECT id FROM dbdoctor_migrations').all();
console.log(files.length, rows.length);`,
  );
  const timeProc = (args: string[]) => async () => {
    const t = performance.now();
    execFileSync(process.execPath, args);
    return performance.now() - t;
  };
  return interleaved(
    runs,
    timeProc([minimal, dir, db]),
    timeProc([CLI, 'status', '--json', '--url', `sqlite:${db}`, '--dir', dir]),
  );
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const _ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-'));
try {
  const dir = path.join(tmp, 'migrations');
  const project = makeProject(dir);
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const s = await sqliteBench(dir, project, tmp, runs);
  console.log(
    `SQLite apply 500, per-migration tx: dbdoctor ${fmt(s.oursA)} vs floor (a) ${fmt(s.floorA)} = ${s.ratioA.toFixed(2)}x (target <= 1.10x)`,
  );
  console.log(
    `SQLite apply 500, single tx:        dbdoctor ${fmt(s.oursB)} vs floor (b) ${fmt(s.floorB)} = ${s.ratioB.toFixed(2)}x (target <= 1.50x)`,
  );
  const p = await pgBench(dir, project, runs);
  console.log(
    `PostgreSQL apply 500, per-migration: dbdoctor ${fmt(p.oursA)} vs floor (a) ${fmt(p.floorA)} = ${p.ratioA.toFixed(2)}x (target <= 1.10x)`,
  );
  console.log(
    `PostgreSQL apply 500, single tx:     dbdoctor ${fmt(p.oursB)} vs floor (b) ${fmt(p.floorB)} = ${p.ratioB.toFixed(2)}x (target <= 1.50x)`,
  );
  const st = await statusBench(dir, tmp, Math.max(7, runs));
  console.log(
    `status on 500 applied (whole process): dbdoctor ${fmt(st.ours)} vs minimal script ${fmt(st.floor)} = ${st.ratio.toFixed(2)}x (target <= 1.50x)`,
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
