/**
 * Benchmark on MariaDB/MySQL: apply 500 migrations (CREATE TABLE + CREATE INDEX each) to an
 * empty database, against a floor measured in the same run through raw mysql2 making the same
 * writes. MySQL commits each DDL statement on its own, so a migration cannot commit with its
 * history row; what a crash leaves must be readable from the history instead (issue 11: record
 * started and finished for every MySQL migration, as for `transaction: false`), so dbdoctor
 * writes, and the floor writes the same way: the previous migration's row applied and this
 * one's started in one upsert, each statement, its progress after every statement but the last,
 * and the last row applied at the end. The floor uses prepared statements and nothing else;
 * dbdoctor also reads back the session state a migration may change (in the same upsert).
 * For context, a second line compares with raw mysql2 running the statements plus one history
 * insert per migration, which records nothing a crash could be read from.
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
  // The floor: the same writes dbdoctor makes, through raw mysql2 with prepared statements and
  // no library around them. Per migration: the previous one's row marked applied and this one's
  // started in one upsert (so a crash before its first statement shows it started), each
  // statement, and after each statement but the last its progress (so a crash shows which
  // statement may have been running); the last migration's row marked applied at the end.
  const now = () => new Date().toISOString();
  // The floor: the same writes dbdoctor makes, through raw mysql2 with prepared statements and
  // no library around them. Per migration: the previous one's row marked applied and this one's
  // started in one upsert (so a crash before its first statement shows it started), each
  // statement, and after each statement but the last its progress (so a crash shows which
  // statement may have been running); the last migration's row marked applied at the end.
  const sameWrites = async (c: mysql.Connection) => {
    for (const [i, m] of project.entries()) {
      const prev = project[i - 1];
      if (prev === undefined)
        await c.execute(
          "INSERT INTO h (id, name, checksum, status, applied_at, seq, statements_total) VALUES (?, ?, 'x', 'started', ?, ?, ?)",
          [m.id, `t${m.id}`, now(), i + 1, m.statements.length],
        );
      else
        await c.execute(
          "INSERT INTO h (id, name, checksum, status, applied_at, seq, statements_done, statements_total) VALUES (?, ?, 'x', 'applied', ?, ?, ?, ?), (?, ?, 'x', 'started', ?, ?, 0, ?) ON DUPLICATE KEY UPDATE status = VALUES(status), statements_done = VALUES(statements_done)",
          [
            prev.id,
            `t${prev.id}`,
            now(),
            i,
            prev.statements.length,
            prev.statements.length,
            m.id,
            `t${m.id}`,
            now(),
            i + 1,
            m.statements.length,
          ],
        );
      for (const [k, statement] of m.statements.entries()) {
        await c.query(statement);
        if (k < m.statements.length - 1)
          await c.execute('UPDATE h SET statements_done = ? WHERE id = ?', [k + 1, m.id]);
      }
    }
    const last = project[project.length - 1] as { id: string };
    await c.execute("UPDATE h SET status = 'applied', statements_done = statements_total WHERE id = ?", [
      last.id,
    ]);
  };
  // Not the floor: the statements plus one history insert per migration, which records nothing
  // a crash could be read from (a migration that stops part-way leaves no row at all), for context.
  const minimalWrites = async (c: mysql.Connection) => {
    for (const [i, m] of project.entries()) {
      for (const statement of m.statements) await c.query(statement);
      await c.execute(
        "INSERT INTO h (id, name, checksum, status, applied_at, seq) VALUES (?, ?, 'x', 'applied', ?, ?)",
        [m.id, `t${m.id}`, now(), i + 1],
      );
    }
  };
  const raw = (writes: (c: mysql.Connection) => Promise<void>) => async () => {
    const db = await fresh();
    const c = await mysql.createConnection(connectOptions(db.url));
    await c.query(HISTORY);
    const ms = await time(() => writes(c));
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
    await sameWrites(f);
    await f.end();
    await fdb.drop();
    show('floor', floorTally);
  }
  const a = await interleaved(runs, raw(sameWrites), ours, raw(minimalWrites));
  const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  console.log(
    `MariaDB apply ${N}: dbdoctor ${fmt(a.ours)} vs raw mysql2 making the same writes ${fmt(a.floor)} = ${a.ratio.toFixed(2)}x (target <= 1.10x)`,
  );
  if (a.reference !== null && a.toReference !== null)
    console.log(
      `  context: raw mysql2 with one history insert per migration and no crash record ${fmt(a.reference)}; dbdoctor = ${a.toReference.toFixed(2)}x of it`,
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
