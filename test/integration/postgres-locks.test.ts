import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { DbDoctorError } from '../../src/errors.js';
import { migrate } from '../../src/migrations/apply.js';
import type { MigrationEvent } from '../../src/migrations/events.js';
import {
  cli,
  createTestDatabase,
  onlyOn,
  rawQuery,
  sqlMigration,
  writeMigrations,
} from '../helpers/databases.js';

describe('PostgreSQL locking', onlyOn('postgres'), () => {
  it('CREATE INDEX CONCURRENTLY runs under the runner lock while other runners wait, without deadlock', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration(
          'CREATE TABLE t (id SERIAL PRIMARY KEY, v INTEGER);\nINSERT INTO t (v) SELECT generate_series(1, 200000);',
        ),
        '002_idx.sql':
          '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_v;\n',
      });
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          cli(['apply', '--json', '--lock-timeout', '60s', '--url', db.url, '--dir', dir]),
        ),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const [idx] = await rawQuery(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 't_v'::regclass");
      assert.equal(idx!.indisvalid, true);
      const rows = await rawQuery(
        db,
        'SELECT id, status, statements_done, statements_total FROM dbdoctor_migrations ORDER BY seq',
      );
      assert.deepEqual(rows, [
        { id: '001', status: 'applied', statements_done: 2, statements_total: 2 },
        { id: '002', status: 'applied', statements_done: 1, statements_total: 1 },
      ]);
      const down = await cli(['down', '--url', db.url, '--dir', dir]);
      assert.equal(down.code, 0, down.stderr);
    } finally {
      await db.drop();
    }
  });

  it('a failed non-transactional migration shows as partially applied and blocks apply until resolved', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id SERIAL PRIMARY KEY, v INTEGER);'),
        '002_idx.sql':
          '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\nCREATE INDEX CONCURRENTLY t_w ON t (no_such_column);\n',
      });
      let r = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /MIGRATION_PARTIAL/);
      assert.match(r.stderr, /1 statement\(s\) before the failing one stayed applied/);
      const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<{
        current: string;
        problems: { code: string }[];
      }>();
      assert.equal(s.current, '001');
      assert.deepEqual(
        s.problems.map((p) => p.code),
        ['PARTIALLY_APPLIED'],
      );
      r = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /PARTIALLY_APPLIED.*after 1 of 2 statements/s);
      await rawQuery(db, 'DROP INDEX t_v');
      assert.equal((await cli(['resolve', '002', '--rolled-back', '--url', db.url, '--dir', dir])).code, 0);
      assert.deepEqual(
        (await rawQuery(db, 'SELECT id FROM dbdoctor_migrations')).map((x) => x.id),
        ['001'],
      );
    } finally {
      await db.drop();
    }
  });

  it('a migration blocked by a long transaction times out, retries, reports clearly, and never blocks readers for long', async () => {
    const db = await createTestDatabase('postgres');
    const blocker = new pg.Client({ connectionString: db.url });
    const reader = new pg.Client({ connectionString: db.url });
    try {
      await rawQuery(db, 'CREATE TABLE busy (id INTEGER PRIMARY KEY); INSERT INTO busy VALUES (1);');
      const dir = writeMigrations(db.dir, {
        '001_alter.sql': sqlMigration('ALTER TABLE busy ADD COLUMN extra TEXT;'),
      });
      await blocker.connect();
      await reader.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM busy'); // holds ACCESS SHARE until commit
      const events: MigrationEvent[] = [];
      const running = migrate({
        database: db.url,
        dir,
        statementLockTimeoutMs: 300,
        lockRetries: 2,
        onEvent: (e) => events.push(e),
      }).catch((e: unknown) => e);
      // While the migration keeps retrying, readers still get through: a reader queued behind
      // the waiting ALTER is released when its lock_timeout (300 ms) fires; without one it would
      // wait for the blocker forever and this statement_timeout, far above it, would fail it.
      await reader.query('SET statement_timeout = 10000');
      for (let i = 0; i < 5; i++) {
        await reader.query('SELECT * FROM busy');
        await new Promise((r) => setTimeout(r, 150));
      }
      const err = await running;
      assert.ok(err instanceof DbDoctorError, String(err));
      assert.equal(err.code, 'MIGRATION_FAILED');
      assert.match(err.message, /gave up after 3 attempts waiting for locks/);
      assert.match(err.message, /lock timeout/);
      assert.match(err.unchanged, /still at revision base/);
      assert.match(err.hint, /pg_stat_activity|--statement-lock-timeout/);
      assert.equal(events.filter((e) => e.type === 'retry').length, 2);
      // Once the long transaction ends, the same migration goes through.
      await blocker.query('COMMIT');
      const ok = await migrate({ database: db.url, dir, statementLockTimeoutMs: 300 });
      assert.deepEqual(
        ok.applied.map((a) => a.id),
        ['001'],
      );
    } finally {
      await blocker.end().catch(() => {});
      await reader.end().catch(() => {});
      await db.drop();
    }
  });

  it('a retry succeeds when the blocking transaction ends in time', async () => {
    const db = await createTestDatabase('postgres');
    const blocker = new pg.Client({ connectionString: db.url });
    try {
      await rawQuery(db, 'CREATE TABLE busy (id INTEGER PRIMARY KEY)');
      const dir = writeMigrations(db.dir, {
        '001_alter.sql': sqlMigration('ALTER TABLE busy ADD COLUMN extra TEXT;'),
      });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM busy');
      const events: MigrationEvent[] = [];
      // The blocker lets go when the runner reports its first retry: the first attempt has
      // certainly timed out by then, whatever the machine's speed (no timer decides it).
      let released: Promise<unknown> | null = null;
      const r = await migrate({
        database: db.url,
        dir,
        statementLockTimeoutMs: 200,
        lockRetries: 5,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'retry') released ??= blocker.query('COMMIT');
        },
      });
      await released;
      assert.deepEqual(
        r.applied.map((a) => a.id),
        ['001'],
      );
      assert.ok(events.some((e) => e.type === 'retry'));
    } finally {
      await blocker.end().catch(() => {});
      await db.drop();
    }
  });
});

describe('library API: workers migrating at start-up', onlyOn('postgres'), () => {
  it('several migrate() calls sharing a pg Pool and racing from one process apply once', async () => {
    const db = await createTestDatabase('postgres');
    const pool = new pg.Pool({ connectionString: db.url, max: 6 });
    try {
      const dir = writeMigrations(db.dir, {
        '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);'),
        '002_b.sql': sqlMigration('CREATE TABLE b (id INTEGER PRIMARY KEY);'),
      });
      const results = await Promise.all(Array.from({ length: 5 }, () => migrate({ database: pool, dir })));
      assert.equal(
        results.reduce((n, r) => n + r.applied.length, 0),
        2,
      );
      assert.equal(pool.totalCount <= 6, true);
      const rows = await pool.query('SELECT count(*)::int AS n FROM dbdoctor_migrations');
      assert.equal(rows.rows[0].n, 2);
    } finally {
      await pool.end();
      await db.drop();
    }
  });

  it('migrate() accepts an open better-sqlite3 Database and leaves it open', async () => {
    const db = await createTestDatabase('sqlite');
    const { default: Database } = await import('better-sqlite3');
    const conn = new Database(db.url.slice('sqlite:'.length));
    try {
      const dir = writeMigrations(db.dir, {
        '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);'),
      });
      const r = await migrate({ database: conn, dir });
      assert.deepEqual(
        r.applied.map((a) => a.id),
        ['001'],
      );
      assert.ok(conn.open);
      assert.equal(
        conn.pragma('journal_mode', { simple: true }),
        'delete',
        'journal mode left as the user had it',
      );
    } finally {
      conn.close();
      await db.drop();
    }
  });
});
