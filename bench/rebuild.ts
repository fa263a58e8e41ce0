/**
 * SQLite table rebuild benchmark: a 1,000,000-row table (8 columns, 2 indexes) gets an
 * alterColumn (nullability and default) through `migrate` with a DSL migration, against a
 * floor in the same run: the same rebuild as hand-written SQL through better-sqlite3
 * (foreign keys off, one transaction: create, copy, drop, rename, two CREATE INDEX,
 * foreign_key_check, commit). Both start from byte-identical copies of one file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../src/index.js';

const ROWS = Number(process.env.BENCH_REBUILD_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-bench-rebuild-'));
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

const CREATE = `CREATE TABLE big (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  qty INTEGER,
  price REAL,
  note TEXT,
  created TEXT,
  flag INTEGER,
  payload BLOB
)`;

function seed(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(CREATE);
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
    INSERT INTO big SELECT i, 'acct' || (i % 5000), i % 100, i * 0.25, 'note ' || i, '2026-01-01', i % 2, NULL FROM n`);
  db.exec('CREATE INDEX big_account ON big (account)');
  db.exec('CREATE INDEX big_created ON big (created, qty)');
  db.close();
}

/** The hand-written rebuild through better-sqlite3: the floor. */
function floor(file: string): number {
  const db = new Database(file);
  const t = performance.now();
  db.pragma('foreign_keys = OFF');
  db.exec('BEGIN IMMEDIATE');
  db.exec(`CREATE TABLE big_new (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  qty INTEGER NOT NULL DEFAULT 0,
  price REAL,
  note TEXT,
  created TEXT,
  flag INTEGER,
  payload BLOB
)`);
  db.exec(
    'INSERT INTO big_new (id, account, qty, price, note, created, flag, payload) SELECT id, account, qty, price, note, created, flag, payload FROM big',
  );
  db.exec('DROP TABLE big');
  db.exec('ALTER TABLE big_new RENAME TO big');
  db.exec('CREATE INDEX big_account ON big (account)');
  db.exec('CREATE INDEX big_created ON big (created, qty)');
  db.pragma('foreign_key_check(big)');
  db.exec('COMMIT');
  db.pragma('foreign_keys = ON');
  const ms = performance.now() - t;
  db.close();
  return ms;
}

async function ours(file: string, dir: string): Promise<number> {
  const t = performance.now();
  await migrate({ database: `sqlite:${file}`, dir, backup: { enabled: false } });
  return performance.now() - t;
}

try {
  const master = path.join(tmp, 'master.sqlite');
  seed(master);
  const dir = path.join(tmp, 'migrations');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, '001_base.sql'),
    '-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n',
  );
  fs.writeFileSync(
    path.join(dir, '002_alter.mjs'),
    `export default ${JSON.stringify({
      ops: [
        {
          kind: 'alterColumn',
          table: 'big',
          column: 'qty',
          change: { nullable: false, default: 0 },
          from: { nullable: true, default: null },
        },
      ],
    })};\n`,
  );
  const f: number[] = [];
  const o: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = path.join(tmp, `floor-${r}.sqlite`);
    const b = path.join(tmp, `ours-${r}.sqlite`);
    fs.copyFileSync(master, a);
    fs.copyFileSync(master, b);
    await migrate({ database: `sqlite:${b}`, dir, backup: { enabled: false }, to: '001' });
    f.push(floor(a));
    o.push(await ours(b, dir));
    fs.rmSync(a);
    fs.rmSync(b);
  }
  const fb = Math.min(...f);
  const ob = Math.min(...o);
  console.log(
    `SQLite rebuild of ${ROWS} rows (8 columns, 2 indexes) for an alterColumn: ours ${fmt(ob)} vs hand-written floor ${fmt(fb)} = ${(ob / fb).toFixed(2)}x (best of ${ROUNDS})`,
  );
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
