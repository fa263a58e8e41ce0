/**
 * Benchmark on MariaDB/MySQL: apply 500 migrations (CREATE TABLE + CREATE INDEX each) to an
 * empty database, against a floor measured in the same run through raw mysql2: the same
 * statements plus one history insert per migration (autocommit; DDL commits on its own anyway).
 * dbdoctor writes more per migration by design, which is what makes a crash visible: progress
 * after each statement but the last, and one upsert holding this migration's `applied` row and
 * the next one's `started` row (so 2 history writes per 2-statement migration against the floor's
 * 1), plus one read of the session state it puts back. The ratio shows what that costs.
 * Also `dbdoctor status` as a whole process against a minimal Node script that reads the folder
 * and runs one SELECT through mysql2.
 * BENCH_MYSQL_COUNT=1 first counts the round trips of one untimed apply of each (dbdoctor on its
 * caller's-connection path, the floor on its own), by statement.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { migrate } from '../src/index.js';

const N = Number(process.env.BENCH_MYSQL_MIGRATIONS ?? 500);
const ADMIN = process.env.DBDOCTOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const CLI = path.resolve(import.meta.dirname, '../dist/cli/main.js');

function makeProject(dir: string): { id: string; statements: string[] }[] {
  fs.mkdirSync(dir, { recursive: true });
  const out: { id: string; statements: string[] }[] = [];
  for (let i = 1; i <= N; i++) {
    const id = String(i).padStart(4, '0');
    const statements = [
      `CREATE TABLE t${id} (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, created_at DATETIME)`,
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

function connectOptions(url: string): mysql.ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || 'root',
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: u.pathname.slice(1) || undefined,
  };
}

const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function time(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Floor, ours and (optionally) a second reference alternately; the median of the paired ratios. */
async function interleaved(
  runs: number,
  floor: () => Promise<number>,
  ours: () => Promise<number>,
  reference?: () => Promise<number>,
) {
  const f: number[] = [];
  const o: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < runs; i++) {
    f.push(await floor());
    if (reference) r.push(await reference());
    o.push(await ours());
  }
  return {
    floor: mid(f),
    ours: mid(o),
    ratio: mid(o.map((x, i) => x / (f[i] as number))),
    reference: r.length > 0 ? mid(r) : null,
    toReference: r.length > 0 ? mid(o.map((x, i) => x / (r[i] as number))) : null,
  };
}

const HISTORY =
  'CREATE TABLE h (id VARCHAR(191) PRIMARY KEY, name VARCHAR(1024) NOT NULL, checksum VARCHAR(128) NOT NULL, status VARCHAR(16) NOT NULL, applied_at VARCHAR(32) NOT NULL, execution_ms INT NOT NULL DEFAULT 0, seq INT NOT NULL, statements_done INT NOT NULL DEFAULT 0, statements_total INT NOT NULL DEFAULT 0, error TEXT)';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-mysql-'));
const admin = await mysql.createConnection(connectOptions(ADMIN));
let k = 0;
const fresh = async () => {
  const name = `dbdoctor_bench_${process.pid}_${k++}`;
  await admin.query(`CREATE DATABASE \`${name}\``);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin.query(`DROP DATABASE \`${name}\``) };
};
try {
  const dir = path.join(tmp, 'migrations');
  const project = makeProject(dir);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const floor = async () => {
    const db = await fresh();
    const c = await mysql.createConnection(connectOptions(db.url));
    await c.query(HISTORY);
    const ms = await time(async () => {
      for (const [i, m] of project.entries()) {
        for (const s of m.statements) await c.query(s);
        await c.execute(
          "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES (?, ?, 'x', 'applied', ?, ?)",
          [m.id, `t${m.id}`, new Date().toISOString(), i + 1],
        );
      }
    });
    await c.end();
    await db.drop();
    return ms;
  };
  // Not the floor: the floor plus the one durable write between the two statements that a crash
  // record needs (what any runner that shows which statement ran must add), for context.
  const floorWithProgress = async () => {
    const db = await fresh();
    const c = await mysql.createConnection(connectOptions(db.url));
    await c.query(HISTORY);
    const ms = await time(async () => {
      for (const [i, m] of project.entries()) {
        const [first, ...rest] = m.statements;
        await c.query(first as string);
        await c.execute(
          "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES (?, ?, 'x', 'started', ?, ?)",
          [m.id, `t${m.id}`, new Date().toISOString(), i + 1],
        );
        for (const s of rest) await c.query(s);
        await c.execute("UPDATE h SET status = 'applied' WHERE id = ?", [m.id]);
      }
    });
    await c.end();
    await db.drop();
    return ms;
  };
  const ours = async () => {
    const db = await fresh();
    const ms = await time(async () => {
      await migrate({ database: db.url, dir });
    });
    await db.drop();
    return ms;
  };
  if (process.env.BENCH_MYSQL_COUNT) {
    // Wraps a connection's query and execute to count round trips by the statement's shape.
    const counting = (c: mysql.Connection) => {
      const tally = new Map<string, number>();
      for (const name of ['query', 'execute'] as const) {
        const original = c[name].bind(c) as (...args: unknown[]) => Promise<unknown>;
        Object.assign(c, {
          [name]: (sql: string | { sql: string }, ...rest: unknown[]) => {
            const text = (typeof sql === 'string' ? sql : sql.sql).replace(/\s+/g, ' ');
            const shape = /^CREATE (TABLE|INDEX) t\d/.test(text)
              ? 'the migration statements'
              : text.replace(/'[^']*'|\b\d+\b/g, '…').slice(0, 60);
            tally.set(`${name} ${shape}`, (tally.get(`${name} ${shape}`) ?? 0) + 1);
            return original(sql, ...rest);
          },
        });
      }
      return tally;
    };
    const show = (label: string, tally: Map<string, number>) => {
      const total = [...tally.values()].reduce((a, b) => a + b, 0);
      console.log(`${label}: ${total} round trips, ${(total / N).toFixed(2)} per migration`);
      for (const [k, n] of [...tally].sort((x, y) => y[1] - x[1]))
        console.log(`  ${String(n).padStart(6)}  ${k}`);
    };
    const db = await fresh();
    const c = await mysql.createConnection(connectOptions(db.url));
    const ourTally = counting(c);
    await migrate({ database: c, dir });
    await c.end();
    await db.drop();
    show('dbdoctor apply', ourTally);
    const fdb = await fresh();
    const f = await mysql.createConnection(connectOptions(fdb.url));
    await f.query(HISTORY);
    const floorTally = counting(f);
    for (const [i, m] of project.entries()) {
      for (const st of m.statements) await f.query(st);
      await f.execute(
        "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES (?, ?, 'x', 'applied', ?, ?)",
        [m.id, `t${m.id}`, new Date().toISOString(), i + 1],
      );
    }
    await f.end();
    await fdb.drop();
    show('floor', floorTally);
  }
  const a = await interleaved(runs, floor, ours, floorWithProgress);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  console.log(
    `MariaDB apply ${N}: dbdoctor ${fmt(a.ours)} vs raw mysql2 floor ${fmt(a.floor)} = ${a.ratio.toFixed(2)}x (target <= 1.10x)`,
  );
  if (a.reference !== null && a.toReference !== null)
    console.log(
      `  context: raw mysql2 with one durable write between the statements ${fmt(a.reference)}; dbdoctor = ${a.toReference.toFixed(2)}x of it`,
    );

  const db = await fresh();
  try {
    execFileSync(process.execPath, [CLI, 'apply', '--url', db.url, '--dir', dir], { stdio: 'ignore' });
    const minimal = path.join(tmp, 'minimal.mjs');
    fs.writeFileSync(
      minimal,
      `import fs from 'node:fs'; import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve(import.meta.dirname, '../package.json'))});
const mysql = require('mysql2/promise');
const files = fs.readdirSync(process.argv[2]);
const u = new URL(process.argv[3]);
const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: u.password || undefined, database: u.pathname.slice(1) });
const [rows] = await c.query('SELECT id FROM dbdoctor_migrations');
console.log(files.length, rows.length);
await c.end();`,
    );
    // Not the floor: the minimal script plus what status cannot skip (reading and hashing every
    // file, to see an applied migration edited since, and reading the whole history), for context.
    const fuller = path.join(tmp, 'fuller.mjs');
    fs.writeFileSync(
      fuller,
      `import fs from 'node:fs'; import path from 'node:path'; import { createHash } from 'node:crypto'; import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.resolve(import.meta.dirname, '../package.json'))});
const mysql = require('mysql2/promise');
const files = fs.readdirSync(process.argv[2]).map((f) => createHash('sha256').update(fs.readFileSync(path.join(process.argv[2], f))).digest('hex'));
const u = new URL(process.argv[3]);
const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: u.password || undefined, database: u.pathname.slice(1) });
const [rows] = await c.query('SELECT * FROM dbdoctor_migrations ORDER BY seq');
console.log(JSON.stringify({ files, rows }).length);
await c.end();`,
    );
    const proc = (args: string[]) => async () =>
      time(async () => void execFileSync(process.execPath, args, { stdio: 'ignore' }));
    const st = await interleaved(
      Math.max(7, runs),
      proc([minimal, dir, db.url]),
      proc([CLI, 'status', '--json', '--url', db.url, '--dir', dir]),
      proc([fuller, dir, db.url]),
    );
    console.log(
      `MariaDB status on ${N} applied (whole process): dbdoctor ${fmt(st.ours)} vs minimal script ${fmt(st.floor)} = ${st.ratio.toFixed(2)}x (target <= 1.50x)`,
    );
    if (st.reference !== null && st.toReference !== null)
      console.log(
        `  context: the minimal script that also hashes every file and reads the whole history ${fmt(st.reference)}; dbdoctor = ${st.toReference.toFixed(2)}x of it`,
      );
  } finally {
    await db.drop();
  }
} finally {
  await admin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
}
