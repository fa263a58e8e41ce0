import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type * as mysql from 'mysql2/promise';
import pg from 'pg';
import {
  CLI_PATH,
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  mysqlClient,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

/** A SELECT of the numbers 1..rows as column x, in MySQL (no generate_series; recursion is capped on MySQL 8). */
function mysqlNumbers(rows: number): string {
  const digits =
    '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
  const places = String(rows).length;
  const from = Array.from({ length: places }, (_, i) => `${digits} p${i}`).join(' CROSS JOIN ');
  const x = Array.from({ length: places }, (_, i) => `${10 ** i} * p${i}.d`).join(' + ');
  return `SELECT x FROM (SELECT ${x} + 1 AS x FROM ${from}) n WHERE x <= ${rows}`;
}

/** 12 migrations; each creates a table, fills it with rows and indexes it, so applying takes a while. */
function slowProject(dialect: string, rows: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 12; i++) {
    const id = String(i).padStart(3, '0');
    const fill =
      dialect === 'sqlite'
        ? `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ${rows}) INSERT INTO t${id} (v) SELECT x FROM n;`
        : dialect === 'mysql'
          ? `INSERT INTO t${id} (v) ${mysqlNumbers(rows)};`
          : `INSERT INTO t${id} (v) SELECT generate_series(1, ${rows});`;
    const identity = { postgres: 'GENERATED ALWAYS AS IDENTITY', mysql: 'AUTO_INCREMENT' }[dialect] ?? '';
    files[`${id}_t${id}.sql`] = sqlMigration(
      `CREATE TABLE t${id} (id INTEGER PRIMARY KEY ${identity}, v INTEGER NOT NULL);\n${fill}\nCREATE INDEX t${id}_v ON t${id} (v);`,
      `DROP TABLE t${id};`,
    );
  }
  return files;
}

/** One history row as the consistency checks need it. */
interface Recorded {
  id: string;
  status: string;
  done: number;
}

interface Snapshot {
  tables: string[];
  history: Recorded[];
  counts: Record<string, number>;
}

const HISTORY_SQL = 'SELECT id, status, statements_done AS done FROM dbdoctor_migrations ORDER BY seq';
const recorded = (r: Record<string, unknown>): Recorded => ({
  id: String(r.id),
  status: String(r.status),
  done: Number(r.done),
});

/**
 * Reads tables, history and row counts in ONE snapshot (a killed backend may still commit).
 * MySQL has no snapshot of DDL: the killed runner's server session is waited out first (its
 * statement in flight ends, and with it the session), after which nothing changes.
 */
async function snapshot(db: TestDatabase): Promise<Snapshot> {
  if (db.dialect === 'sqlite') {
    const conn = new Database(db.url.slice('sqlite:'.length));
    try {
      return conn.transaction(() => {
        const names = (
          conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
            name: string;
          }[]
        ).map((r) => r.name);
        const tables = names.filter((t) => /^t\d{3}$/.test(t));
        const history = names.includes('dbdoctor_migrations')
          ? (conn.prepare(HISTORY_SQL).all() as Record<string, unknown>[]).map(recorded)
          : [];
        const counts = Object.fromEntries(
          tables.map((t) => [t, (conn.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
        );
        return { tables, history, counts };
      })();
    } finally {
      conn.close();
    }
  }
  if (db.dialect === 'mysql') {
    const c = await mysqlClient(db.url);
    try {
      await waitForRunnerSessions(c);
      const [names] = await c.query(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      );
      const all = (names as { name: string }[]).map((r) => r.name);
      const tables = all.filter((t) => /^t\d{3}$/.test(t));
      const history = all.includes('dbdoctor_migrations')
        ? ((await c.query(HISTORY_SQL))[0] as Record<string, unknown>[]).map(recorded)
        : [];
      const counts: Record<string, number> = {};
      for (const t of tables)
        counts[t] = Number(((await c.query(`SELECT COUNT(*) AS n FROM ${t}`))[0] as { n: number }[])[0]?.n);
      return { tables, history, counts };
    } finally {
      await c.end();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const names = (
      await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).rows.map((r) => r.tablename as string);
    const tables = names.filter((t) => /^t\d{3}$/.test(t));
    const history = names.includes('dbdoctor_migrations')
      ? (await client.query(HISTORY_SQL)).rows.map(recorded)
      : [];
    const counts: Record<string, number> = {};
    for (const t of tables)
      counts[t] = Number((await client.query(`SELECT COUNT(*) AS n FROM ${t}`)).rows[0].n);
    await client.query('COMMIT');
    return { tables, history, counts };
  } finally {
    await client.end();
  }
}

/**
 * Waits (polling the server, bounded) until no session of a dbdoctor runner is left on this
 * MySQL database: the one that held the migration lock last is named in the lock's owner table.
 */
async function waitForRunnerSessions(c: mysql.Connection): Promise<void> {
  const [owners] = await c
    .query('SELECT connection_id AS id FROM dbdoctor_migrations_lock')
    .catch(() => [[] as { id: number }[]]);
  const ids = (owners as { id: number }[]).map((o) => Number(o.id));
  if (ids.length === 0) return;
  for (let i = 0; i < 6000; i++) {
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID IN (?)', [
      ids,
    ]);
    if (Number((rows as { n: number }[])[0]?.n) === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the killed runner's server session (${ids}) never ended`);
}

/**
 * What a killed run left, checked against what each statement does (CREATE TABLE, fill with
 * `rows` rows, CREATE INDEX): every applied migration has its full table. Where DDL is
 * transactional, nothing else: the database is exactly at a revision. Where it is not
 * (capabilities.transactionalDdl false), the migration that was running may be recorded as
 * started with `done` statements: those took effect, the next one may have (a kill lands
 * between a statement and its record), none after it did. Returns the applied ids and the
 * partially applied row, if any.
 */
async function assertConsistent(
  db: TestDatabase,
  rows: number,
): Promise<{ applied: string[]; partial: Recorded | null }> {
  const { tables, history, counts } = await snapshot(db);
  const applied = history.filter((h) => h.status === 'applied').map((h) => h.id);
  const started = history.filter((h) => h.status !== 'applied');
  assert.deepEqual(applied, [...applied].sort(), 'applied in order');
  for (const id of applied) assert.equal(counts[`t${id}`], rows, `t${id} holds all its rows`);
  if (capabilitiesOf(db.dialect).transactionalDdl) {
    assert.deepEqual(started, [], 'a killed migration rolled back with its history row');
    assert.deepEqual(
      tables,
      applied.map((id) => `t${id}`),
      'every recorded migration has its table and no other table exists',
    );
    return { applied, partial: null };
  }
  assert.ok(started.length <= 1, `at most one migration was running: ${JSON.stringify(started)}`);
  const partial = started[0] ?? null;
  const own = partial ? `t${partial.id}` : null;
  assert.deepEqual(
    tables.filter((t) => t !== own),
    applied.map((id) => `t${id}`),
    'every applied migration has its table, and only the partial one may have another',
  );
  if (partial && own) {
    assert.equal(partial.status, 'started');
    assert.ok(partial.id > (applied.at(-1) ?? ''), 'the partial migration is the one after the applied ones');
    const exists = tables.includes(own);
    // Statement 1 creates the table, 2 fills it (atomically), 3 indexes it.
    if (partial.done >= 1) assert.ok(exists, `${own}: statement 1 is recorded done`);
    if (exists) {
      const n = counts[own];
      if (partial.done >= 2) assert.equal(n, rows, `${own}: statement 2 is recorded done`);
      else if (partial.done === 1)
        assert.ok(n === 0 || n === rows, `${own}: statement 2 ran whole or not at all (${n})`);
      else assert.equal(n, 0, `${own}: statement 2 cannot have run before statement 1 was recorded`);
    }
  }
  return { applied, partial };
}

for (const dialect of DIALECTS) {
  describe(`real processes on ${dialect}`, () => {
    it('8 processes applying at once: each migration exactly once, all exit 0', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = writeMigrations(db.dir, slowProject(dialect, 2000));
        const results = await Promise.all(
          Array.from({ length: 8 }, () =>
            cli(['apply', '--json', '--no-backup', '--url', db.url, '--dir', dir], { cwd: db.dir }),
          ),
        );
        for (const r of results) assert.equal(r.code, 0, r.stderr);
        const appliedCounts = results.map((r) => r.json<{ applied: unknown[] }>().applied.length);
        assert.equal(
          appliedCounts.reduce((a, b) => a + b, 0),
          12,
          `applied per process: ${appliedCounts}`,
        );
        const ids = (await rawQuery(db, 'SELECT id FROM dbdoctor_migrations')).map((r) => r.id);
        assert.equal(ids.length, 12);
        assert.equal(new Set(ids).size, 12, 'no duplicate history rows');
        assert.deepEqual(await assertConsistent(db, 2000), {
          applied: Object.keys(slowProject(dialect, 0)).map((f) => f.slice(0, 3)),
          partial: null,
        });
      } finally {
        await db.drop();
      }
    });

    it('SIGKILL, SIGTERM or SIGINT at the start of each migration in turn, 20 times: at a revision (or, without transactional DDL, partially applied as recorded), apply then finishes', async () => {
      const rows = dialect === 'sqlite' ? 40_000 : 20_000;
      const db = await createTestDatabase(dialect);
      const dir = writeMigrations(db.dir, slowProject(dialect, rows));
      try {
        const seen = new Set<number>();
        const partials = new Set<number>();
        for (let round = 0; round < 20; round++) {
          // Killed when it announces migration `target` (a line on stderr), so kills land at
          // every revision whatever the machine's speed.
          const target = (round % 12) + 1;
          // apply installs no handler for these: each ends it where it stands.
          const signal = (['SIGKILL', 'SIGTERM', 'SIGINT'] as const)[round % 3];
          const child = spawn(
            process.execPath,
            [CLI_PATH, 'apply', '--no-backup', '--url', db.url, '--dir', dir],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let stderr = '';
          child.stderr.on('data', (d) => {
            stderr += d;
            if (stderr.includes(`(${target}/12)`)) child.kill(signal);
          });
          const code = await new Promise<number | null>((r) => child.once('close', r));
          // Exit 0 only if the signal landed after the last commit; consistent either way.
          assert.ok(code === null || code === 0, `apply exited ${code}: ${stderr}`);
          const at = await assertConsistent(db, rows);
          seen.add(at.applied.length);
          if (at.partial) {
            // status says so, naming how far it got; settled the way the README says.
            const { id, done } = at.partial;
            const status = await cli(['status', '--url', db.url, '--dir', dir]);
            assert.match(status.stdout + status.stderr, new RegExp(`PARTIALLY_APPLIED.*${id}`, 's'));
            assert.match(status.stdout + status.stderr, new RegExp(`after ${done} of 3 statements`));
            partials.add(done);
            await rawExec(db, `DROP TABLE IF EXISTS t${id}`);
            const resolved = await cli(['resolve', id, '--rolled-back', '--url', db.url, '--dir', dir]);
            assert.equal(resolved.code, 0, resolved.stderr);
          }
          const finish = await cli([
            'apply',
            '--no-backup',
            '--lock-timeout',
            '10s',
            '--url',
            db.url,
            '--dir',
            dir,
          ]);
          assert.equal(finish.code, 0, finish.stderr);
          assert.equal((await assertConsistent(db, rows)).applied.length, 12);
          assert.equal(
            (await cli(['down', '--to', 'base', '--no-backup', '--url', db.url, '--dir', dir])).code,
            0,
          );
        }
        assert.ok(seen.size >= 3, `kills landed at several revisions: ${[...seen]}`);
        if (!capabilitiesOf(dialect).transactionalDdl)
          console.log(`# ${dialect}: kills left a partial migration after ${[...partials]} statement(s)`);
      } finally {
        await db.drop();
      }
    });
  });
}

describe('SQLite backup and restore', onlyOn('sqlite'), () => {
  it('backup, a destructive migration, restore: every row is back', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, {
        '001_people.sql': sqlMigration(
          "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nWITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) INSERT INTO people (name) SELECT 'p' || x FROM n;",
        ),
      });
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
      const before = await rawQuery(db, 'SELECT * FROM people ORDER BY id');
      fs.writeFileSync(
        path.join(dir, '002_destroy.sql'),
        sqlMigration('DELETE FROM people WHERE id % 2 = 0;\nALTER TABLE people DROP COLUMN name;'),
      );
      const applied = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
      assert.equal(applied.code, 0, applied.stderr);
      const backupFile = applied.json<{ backup: string }>().backup;
      assert.ok(fs.existsSync(backupFile));
      assert.equal(path.dirname(backupFile), path.join(db.dir, 'backups'), 'backups go beside the database');
      assert.equal((await rawQuery(db, 'SELECT COUNT(*) AS n FROM people'))[0]!.n, 2500);
      const restored = await cli(['restore', backupFile, '--json', '--url', db.url]);
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await rawQuery(db, 'SELECT * FROM people ORDER BY id'), before);
      const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<{
        current: string;
        pending: { id: string }[];
      }>();
      assert.equal(s.current, '001');
      assert.deepEqual(
        s.pending.map((p) => p.id),
        ['002'],
      );
      assert.ok(
        fs.existsSync(restored.json<{ safetyBackup: string }>().safetyBackup),
        'the replaced database was saved first',
      );
    } finally {
      await db.drop();
    }
  });

  it('keeps only the last N automatic backups, and --no-backup takes none', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const files: Record<string, string> = {};
      for (let i = 1; i <= 4; i++)
        files[`00${i}_m.sql`] = sqlMigration(`CREATE TABLE m${i} (x INTEGER);`, `DROP TABLE m${i};`);
      const dir = writeMigrations(db.dir, files);
      for (let i = 1; i <= 4; i++)
        assert.equal(
          (await cli(['apply', '--to', `00${i}`, '--keep-backups', '2', '--url', db.url, '--dir', dir])).code,
          0,
        );
      assert.equal(fs.readdirSync(path.join(db.dir, 'backups')).length, 2);
      const r = await cli(['down', '--no-backup', '--json', '--url', db.url, '--dir', dir]);
      assert.equal(r.json<{ backup: null }>().backup, null);
    } finally {
      await db.drop();
    }
  });

  it('restore refuses while another runner holds the lock, and a bad backup file changes nothing', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration('CREATE TABLE a (x INTEGER);') });
      await cli(['apply', '--url', db.url, '--dir', dir]);
      const b = (await cli(['backup', path.join(db.dir, 'copy.sqlite'), '--json', '--url', db.url])).json<{
        file: string;
      }>();
      assert.ok(fs.existsSync(b.file));
      const { openConnection } = await import('../../src/dialects/open.js');
      const conn = await openConnection(db.url);
      const lock = conn.dialect.createLock(conn, 'dbdoctor_migrations');
      await lock.acquire(1000);
      try {
        const r = await cli(['restore', b.file, '--lock-timeout', '200ms', '--url', db.url]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /LOCK_TIMEOUT/);
      } finally {
        await lock.release();
        await conn.close();
      }
      fs.writeFileSync(path.join(db.dir, 'garbage.sqlite'), 'this is not a database');
      const r = await cli(['restore', path.join(db.dir, 'garbage.sqlite'), '--url', db.url]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /BAD_BACKUP/);
      assert.match(r.stderr, /live database was not touched/);
      assert.ok((await tableNames(db)).includes('a'));
      const pgr = await cli(['backup', '--url', 'postgres://postgres@127.0.0.1:5432/postgres']);
      assert.equal(pgr.code, 1);
      assert.match(pgr.stderr, /UNSUPPORTED.*pg_dump/s);
    } finally {
      await db.drop();
    }
  });
});
