import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  onlyOn,
  rawQuery,
  sqlMigration,
  writeMigrations,
} from '../helpers/databases.js';

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
