import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { installSessionTables, openSessionStore } from '../../src/sessions/index.js';
import {
  cli,
  createTestDatabase,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  writeMigrations,
} from '../helpers/databases.js';
import { SESSION_WORKER } from '../helpers/session-backends.js';

describe('SQLite history is pinned to main and survives session changes', onlyOn('sqlite'), () => {
  it('a TEMP table named like the history, an ATTACH and query_only in a migration change nothing of dbdoctor', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const other = path.join(db.dir, 'other.sqlite');
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id INT);'),
        '002_temp.sql': sqlMigration(
          'CREATE TEMP TABLE dbdoctor_migrations (id TEXT, name TEXT, checksum TEXT, status TEXT, applied_at TEXT, execution_ms INT, seq INT, statements_done INT, statements_total INT, error TEXT);\n' +
            'CREATE TEMP TABLE dbdoctor_migrations_lock (name TEXT);',
        ),
        '003_attach.sql': `-- migrate:up transaction:false\nATTACH DATABASE '${other}' AS other;\nCREATE TABLE other.x (id INT);\n`,
        '004_u.sql': sqlMigration('CREATE TABLE u (id INT);'),
      });
      const r = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await rawQuery(db, 'SELECT id, status FROM main.dbdoctor_migrations ORDER BY seq'), [
        { id: '001', status: 'applied' },
        { id: '002', status: 'applied' },
        { id: '003', status: 'applied' },
        { id: '004', status: 'applied' },
      ]);
      const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<{ current: string }>();
      assert.equal(s.current, '004');
    } finally {
      await db.drop();
    }
  });

  it("PRAGMA query_only in a migration is reported as dbdoctor's HISTORY_WRITE_FAILED and rolled back", async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id INT);'),
        '002_ro.sql': sqlMigration('CREATE TABLE v (id INT);\nPRAGMA query_only = 1;'),
      });
      const r = await cli(['apply', '--url', db.url, '--dir', dir, '--no-backup']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /HISTORY_WRITE_FAILED/);
      assert.match(r.stderr, /INSERT INTO "main"\."dbdoctor_migrations"/);
      assert.deepEqual(await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY seq'), [
        { id: '001' },
      ]);
      assert.deepEqual(await rawQuery(db, "SELECT name FROM sqlite_master WHERE name = 'v'"), []);
    } finally {
      await db.drop();
    }
  });
});

describe('a SQLite session sweep yields between batches', onlyOn('sqlite'), () => {
  it('issue 8: while a 200,000-row sweep is between batches, another process touches a session with no lock wait at all; the sweeping process keeps serving its event loop', async () => {
    const db = await createTestDatabase('sqlite');
    const sweeper = spawn(
      process.execPath,
      ['--import', 'tsx', SESSION_WORKER, 'sweep', db.url, '', '', '0'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      await installSessionTables({ database: db.url });
      const store = await openSessionStore(db.url);
      await store.create('keep', { kept: true }, { ttl: '1h' });
      const before = (await store.get('keep'))!.lastActivity;
      await store.close();
      // 200,000 sessions that expired long ago, in one statement.
      await rawExec(
        db,
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
         INSERT INTO dbdoctor_sessions (key, data, status, created_at, last_activity, expires_at, ttl_ms)
         SELECT 'old' || i, '{}', 'active', 1, 1, 2, 1 FROM n`,
      );
      const lines = createInterface({ input: sweeper.stdout })[Symbol.asyncIterator]();
      const next = async () => (await lines.next()).value as string;
      // The sweeper stops after its first batch and says so: no batch is open now.
      assert.equal(await next(), 'paused');
      const touch = spawn(
        process.execPath,
        ['--import', 'tsx', SESSION_WORKER, 'touch', db.url, 'keep', '', '0'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let touchOut = '';
      touch.stdout.on('data', (d) => (touchOut += d));
      const touchCode = await new Promise((r) => touch.on('close', r));
      // busy_timeout 0: it would fail with SQLITE_BUSY if the sweep held the write lock.
      assert.equal(touchCode, 0);
      assert.deepEqual(JSON.parse(touchOut), { touched: true });
      sweeper.stdin.write('go\n');
      const result = JSON.parse(await next()) as {
        removed: number;
        batches: number;
        turnsAfterPause: number;
      };
      assert.equal(result.removed, 200_000);
      assert.ok(result.batches >= 100, `${result.batches} batches`);
      // After the pause, onBatch no longer waits: only the sweep's own yields let the
      // setImmediate chain run, once per batch.
      assert.ok(result.turnsAfterPause >= result.batches - 2, JSON.stringify(result));
      const after = await openSessionStore(db.url);
      const kept = await after.get('keep');
      assert.deepEqual(kept?.data, { kept: true });
      assert.ok(kept!.lastActivity >= before);
      assert.equal(await after.count(), 1);
      await after.close();
    } finally {
      sweeper.kill();
      await db.drop();
    }
  });
});
