/**
 * Issue 9, items 1 and 6: a SQLite migration can never delete or null child rows by a
 * rebuild, never leaves an orphan reference, and no migration can end dbdoctor's transaction
 * part-way; after a failure, "rolled back" is said only when it is true.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type DbDoctorError, migrate, rollback, status } from '../../src/index.js';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  onlyOn,
  pendingOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

const TEAMS = `CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE);
CREATE TABLE tickets (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL);`;

const ROWS = `INSERT INTO teams (id, name) VALUES (1, 'a'), (2, 'b');
INSERT INTO members (id, team_id) VALUES (1, 1), (2, 1), (3, 2);
INSERT INTO tickets (id, team_id) VALUES (1, 1), (2, 2);`;

/** SQLite's documented rebuild (lang_altertable.html#otheralter), as drizzle-orm#5782 generated it. */
const REBUILD = [
  'PRAGMA foreign_keys=OFF',
  "CREATE TABLE new_teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '')",
  "INSERT INTO new_teams (id, name) SELECT id, coalesce(name, '') FROM teams",
  'DROP TABLE teams',
  'ALTER TABLE new_teams RENAME TO teams',
  'PRAGMA foreign_key_check',
  'PRAGMA foreign_keys=ON',
];
const REBUILD_SQL = REBUILD.map((s) => `${s};`).join('\n');

function tsMigration(statements: readonly string[]): string {
  return `export default {\n  async up(db) {\n${statements.map((s) => `    await db.sql(${JSON.stringify(s)});`).join('\n')}\n  },\n};\n`;
}

const file = (db: TestDatabase) => db.url.replace(/^sqlite:/, '');

/** Every child row and key as the base data has them. */
async function assertChildrenIntact(db: TestDatabase): Promise<void> {
  assert.deepEqual(
    (await rawQuery(db, 'SELECT id, team_id FROM members ORDER BY id')).map((r) => [r.id, r.team_id]),
    [
      [1, 1],
      [2, 1],
      [3, 2],
    ],
    'ON DELETE CASCADE child kept every row',
  );
  assert.deepEqual(
    (await rawQuery(db, 'SELECT id, team_id FROM tickets ORDER BY id')).map((r) => [r.id, r.team_id]),
    [
      [1, 1],
      [2, 2],
    ],
    'ON DELETE SET NULL child kept every key',
  );
}

async function historyIds(db: TestDatabase): Promise<string[]> {
  return (await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY seq')).map((r) => String(r.id));
}

/** A SQLite database at 001 (teams and its children, with rows), plus `files`. */
async function teamsProject(files: Record<string, string>): Promise<{ db: TestDatabase; dir: string }> {
  const db = await createTestDatabase('sqlite');
  const dir = writeMigrations(db.dir, { '001_teams.sql': sqlMigration(TEAMS), ...files });
  await migrate({ database: db.url, dir, to: '001', backup: { enabled: false } });
  await rawExec(db, ROWS);
  return { db, dir };
}

describe(
  'SQLite: a hand-written table rebuild keeps every child row (drizzle-orm#5782)',
  onlyOn('sqlite'),
  () => {
    it('(a) in a SQL file, applied by the CLI', async () => {
      const { db, dir } = await teamsProject({ '002_rebuild.sql': sqlMigration(REBUILD_SQL) });
      try {
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        await assertChildrenIntact(db);
        assert.deepEqual(await historyIds(db), ['001', '002']);
        const notNull = await rawQuery(
          db,
          "SELECT [notnull] AS nn FROM pragma_table_info('teams') WHERE name = 'name'",
        );
        assert.equal(notNull[0]?.nn, 1, 'the rebuild itself happened');
      } finally {
        await db.drop();
      }
    });

    it('(b) in a TS function migration using db.sql, applied by the CLI', async () => {
      const { db, dir } = await teamsProject({ '002_rebuild.ts': tsMigration(REBUILD) });
      try {
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        await assertChildrenIntact(db);
        assert.deepEqual(await historyIds(db), ['001', '002']);
      } finally {
        await db.drop();
      }
    });

    it('(c) through the library, given an open better-sqlite3 Database with foreign keys on', async () => {
      const { db, dir } = await teamsProject({ '002_rebuild.sql': sqlMigration(REBUILD_SQL) });
      const handle = new Database(file(db));
      try {
        assert.equal(handle.pragma('foreign_keys', { simple: true }), 1);
        const result = await migrate({ database: handle, dir, backup: { enabled: false } });
        assert.equal(result.after, '002');
        assert.equal(handle.pragma('foreign_keys', { simple: true }), 1, 'enforcement is back on afterwards');
        assert.equal(handle.inTransaction, false);
        await assertChildrenIntact(db);
      } finally {
        handle.close();
        await db.drop();
      }
    });

    it('(d) as the down of a migration, reverted by the CLI', async () => {
      const { db, dir } = await teamsProject({
        '002_index.sql': sqlMigration('CREATE INDEX ix_teams_name ON teams (name);', REBUILD_SQL),
      });
      try {
        assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 0);
        const r = await cli(['down', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        await assertChildrenIntact(db);
        assert.deepEqual(await historyIds(db), ['001']);
      } finally {
        await db.drop();
      }
    });

    it('with --single-transaction, hand-written and DSL rebuilds alike', async () => {
      const dsl = `export default { ops: [{ kind: 'alterColumn', table: 'teams', column: 'name', change: { nullable: true }, from: { nullable: false } }] };\n`;
      const { db, dir } = await teamsProject({
        '002_rebuild.sql': sqlMigration(REBUILD_SQL),
        '003_back.mjs': dsl,
      });
      try {
        const r = await cli(['apply', '--single-transaction', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        await assertChildrenIntact(db);
        assert.deepEqual(await historyIds(db), ['001', '002', '003']);
      } finally {
        await db.drop();
      }
    });
  },
);

describe('SQLite: foreign_key_check before COMMIT', onlyOn('sqlite'), () => {
  it('refuses a migration that leaves an orphan, and rolls it back', async () => {
    const { db, dir } = await teamsProject({
      '002_orphan.sql': sqlMigration(
        "UPDATE teams SET name = 'renamed';\nINSERT INTO members (id, team_id) VALUES (9, 999);",
      ),
    });
    try {
      const r = await cli(['apply', '--json', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      const err = r.json<{ error: { code: string; message: string; unchanged: string } }>().error;
      assert.equal(err.code, 'MIGRATION_FOREIGN_KEY_VIOLATION');
      assert.match(err.message, /"members" row 9 → "teams"/);
      assert.match(err.unchanged, /rolled back; the database is still at revision 001/);
      assert.deepEqual(await historyIds(db), ['001']);
      await assertChildrenIntact(db);
      assert.deepEqual(
        (await rawQuery(db, 'SELECT name FROM teams ORDER BY id')).map((x) => x.name),
        ['a', 'b'],
      );
    } finally {
      await db.drop();
    }
  });

  it('a migration relying on ON DELETE CASCADE / SET NULL is refused and told why; deleting children explicitly works', async () => {
    const { db, dir } = await teamsProject({
      '002_drop_team.sql': sqlMigration('DELETE FROM teams WHERE id = 1;'),
    });
    try {
      const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /MIGRATION_FOREIGN_KEY_VIOLATION/);
      assert.match(r.stderr, /"members" row 1 → "teams"/);
      assert.match(
        r.stderr,
        /ON DELETE (CASCADE \/ SET NULL|SET NULL \/ CASCADE) of these references did not run/,
      );
      assert.match(r.stderr, /foreign key enforcement off/);
      assert.match(r.stderr, /Delete \(or update\) the child rows explicitly/);
      assert.deepEqual(await historyIds(db), ['001']);
      await assertChildrenIntact(db);

      writeMigrations(db.dir, {
        '002_drop_team.sql': sqlMigration(
          'DELETE FROM members WHERE team_id = 1;\nUPDATE tickets SET team_id = NULL WHERE team_id = 1;\nDELETE FROM teams WHERE id = 1;',
        ),
      });
      const fixed = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.equal((await rawQuery(db, 'SELECT count(*) AS n FROM members'))[0]?.n, 1);
    } finally {
      await db.drop();
    }
  });

  it('violations that existed before a migration do not block it, and are reported as a warning', async () => {
    const { db, dir } = await teamsProject({
      '002_index.sql': sqlMigration('CREATE INDEX ix_members_team ON members (team_id);'),
    });
    try {
      const raw = new Database(file(db));
      raw.pragma('foreign_keys = OFF');
      raw.exec('INSERT INTO members (id, team_id) VALUES (7, 404)');
      raw.close();
      const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /warning \(002\): 1 foreign key violation\(s\) existed before this migration \(in members\)/,
      );
      assert.deepEqual(await historyIds(db), ['001', '002']);
    } finally {
      await db.drop();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(
    `${dialect}: transaction control inside a transactional migration`,
    pendingOn(dialect, {
      mysql:
        'every test here is about a migration and its history row sharing one transaction, which a migration can end; MySQL has no transactional DDL (capabilities.transactionalDdl is false), so no migration runs in one and there is none to end (that COMMIT then just runs is shown by "a failing TS migration is described where it failed" below)',
    }),
    () => {
      it('COMMIT; BEGIN; in the middle of a file is refused before anything runs, naming the line', async () => {
        const db = await createTestDatabase(dialect);
        try {
          const up =
            'CREATE TABLE a (id INTEGER);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id INTEGER);\nINSERT INTO missing_table VALUES (1);';
          const dir = writeMigrations(db.dir, {
            '001_ok.sql': sqlMigration('CREATE TABLE base (id INTEGER);'),
            '002_commit.sql': sqlMigration(up),
          });
          const r = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1);
          const err = r.json<{ error: { code: string; message: string; unchanged: string; line: number } }>()
            .error;
          assert.equal(err.code, 'TRANSACTION_CONTROL_IN_MIGRATION');
          assert.match(err.message, /002_commit\.sql \(up\) has `COMMIT` at line 3/);
          assert.equal(err.line, 3);
          assert.match(err.unchanged, /Nothing was run/);
          assert.deepEqual(
            (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
            [],
            'not even 001 ran',
          );
        } finally {
          await db.drop();
        }
      });

      it('a file wrapped entirely in BEGIN … COMMIT applies, all or nothing', async () => {
        const db = await createTestDatabase(dialect);
        try {
          const good = 'BEGIN;\nCREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\nCOMMIT;';
          const bad =
            'BEGIN TRANSACTION;\nCREATE TABLE b (id INTEGER);\nINSERT INTO missing_table VALUES (1);\nEND;';
          const dir = writeMigrations(db.dir, {
            '001_a.sql': sqlMigration(good, 'BEGIN;\nDROP TABLE a;\nCOMMIT;'),
            '002_b.sql': sqlMigration(bad),
          });
          const r = await cli(['apply', '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1);
          assert.match(r.stderr, /002_b failed/);
          assert.match(r.stderr, /rolled back; the database is still at revision 001/);
          assert.deepEqual(
            (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
            ['a'],
          );
          assert.deepEqual(await historyIds(db), ['001']);
          const down = await cli(['down', '--url', db.url, '--dir', dir]);
          assert.equal(down.code, 0, down.stderr);
          assert.deepEqual(
            (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
            [],
          );
        } finally {
          await db.drop();
        }
      });

      it("a TS migration calling db.sql('COMMIT') is stopped before it runs, and really rolled back", async () => {
        const db = await createTestDatabase(dialect);
        try {
          const dir = writeMigrations(db.dir, {
            '001_commit.ts': tsMigration([
              'CREATE TABLE a (id INTEGER)',
              'COMMIT',
              'CREATE TABLE b (id INTEGER)',
            ]),
          });
          const r = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1);
          const err = r.json<{ error: { code: string; message: string; unchanged: string } }>().error;
          assert.equal(err.code, 'TRANSACTION_CONTROL_IN_MIGRATION');
          assert.match(err.message, /`COMMIT` cannot run inside a migration/);
          assert.match(err.unchanged, /rolled back; the database is still at revision base/);
          assert.deepEqual(
            (await tableNames(db)).filter((t) => t !== 'dbdoctor_migrations_lock'),
            [],
            'the rollback it claims happened: no table, no history',
          );
        } finally {
          await db.drop();
        }
      });

      it('a migration that ends the transaction behind dbdoctor’s back is never reported as rolled back', async () => {
        const db = await createTestDatabase(dialect);
        // The application's own handle, reached from the migration through a global (as app code would).
        const handle =
          dialect === 'sqlite' ? new Database(file(db)) : new pg.Client({ connectionString: db.url });
        if (handle instanceof pg.Client) await handle.connect();
        const g = globalThis as { dbdoctorTestHandle?: unknown };
        g.dbdoctorTestHandle = handle;
        try {
          const up = `export default {
  async up(db) {
    await db.sql('CREATE TABLE a (id INTEGER)');
    const h = globalThis.dbdoctorTestHandle;
    if (typeof h.exec === 'function') h.exec('COMMIT'); else await h.query('COMMIT');
    await db.sql('CREATE TABLE b (id INTEGER)');
  },
};\n`;
          const dir = writeMigrations(db.dir, { '001_sneaky.mjs': up });
          const err = await migrate({ database: handle as never, dir, backup: { enabled: false } }).then(
            () => assert.fail('must fail'),
            (e: DbDoctorError) => e,
          );
          assert.equal(err.code, 'TRANSACTION_ENDED_BY_MIGRATION');
          assert.doesNotMatch(err.unchanged, /was rolled back|still at revision/);
          assert.match(err.unchanged, /NOT rolled back/);
          // What the database really holds: a committed, b ran on its own; history says partially applied.
          assert.deepEqual(
            (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
            ['a', 'b'],
          );
          const s = await status({ database: db.url, dir });
          assert.deepEqual(
            s.problems.map((p) => [p.code, p.id]),
            [['PARTIALLY_APPLIED', '001']],
          );
        } finally {
          delete g.dbdoctorTestHandle;
          if (handle instanceof pg.Client) await handle.end();
          else handle.close();
          await db.drop();
        }
      });
    },
  );
}

describe('sqlite: a rollback the database did itself is reported as such', onlyOn('sqlite'), () => {
  it('INSERT OR ROLLBACK ends the transaction with its error: rolled back, by the database', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const up =
        'CREATE TABLE a (id INTEGER PRIMARY KEY);\nINSERT INTO a VALUES (1);\nINSERT OR ROLLBACK INTO a VALUES (1);';
      const dir = writeMigrations(db.dir, { '001_a.sql': sqlMigration(up) });
      const err = await migrate({ database: db.url, dir, backup: { enabled: false } }).then(
        () => assert.fail('must fail'),
        (e: DbDoctorError) => e,
      );
      assert.equal(err.code, 'MIGRATION_FAILED');
      assert.match(
        err.unchanged,
        /rolled back \(by the database, on that error\); the database is still at revision base/,
      );
      assert.deepEqual(
        (await tableNames(db)).filter((t) => t !== 'dbdoctor_migrations_lock'),
        [],
      );
    } finally {
      await db.drop();
    }
  });
});

describe('library rollback() keeps children on SQLite too', onlyOn('sqlite'), () => {
  it('a DSL-free down given an open Database', async () => {
    const { db, dir } = await teamsProject({
      '002_index.sql': sqlMigration('CREATE INDEX ix_teams_name ON teams (name);', REBUILD_SQL),
    });
    const handle = new Database(file(db));
    try {
      await migrate({ database: handle, dir, backup: { enabled: false } });
      await rollback({ database: handle, dir, backup: { enabled: false } });
      assert.equal(handle.pragma('foreign_keys', { simple: true }), 1);
      await assertChildrenIntact(db);
    } finally {
      handle.close();
      await db.drop();
    }
  });
});

describe('SQLite: a migration never leaves a view or trigger that cannot compile', onlyOn('sqlite'), () => {
  const BASE_SQL =
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, kind TEXT, position INTEGER);\nINSERT INTO accounts (kind, position) VALUES ('internal', 1);";
  const cases: [string, string, RegExp][] = [
    [
      'a view comparing with a double-quoted string',
      'CREATE VIEW internal_accounts AS SELECT id FROM accounts WHERE kind = "internal";',
      /view "internal_accounts".*no such column.*single quotes/s,
    ],
    [
      'a trigger body with strftime("%s") (sequel#1813)',
      'CREATE TABLE log (at INTEGER);\nCREATE TRIGGER accounts_moved AFTER UPDATE OF position ON accounts BEGIN INSERT INTO log (at) VALUES (strftime("%s", \'now\')); END;',
      /trigger "accounts_moved".*no such column.*single quotes/s,
    ],
    [
      'a table dropped under a view that reads it',
      'CREATE TABLE extra (x INTEGER);\nCREATE VIEW extra_view AS SELECT x FROM extra;\nDROP TABLE extra;',
      /view "extra_view".*no such table/s,
    ],
  ];
  for (const [title, up, message] of cases) {
    it(`${title}: refused, rolled back, history unchanged`, async () => {
      const db = await createTestDatabase('sqlite');
      try {
        const dir = writeMigrations(db.dir, {
          '001_base.sql': sqlMigration(BASE_SQL),
          '002_dependent.sql': sqlMigration(up),
        });
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /MIGRATION_BREAKS_DEPENDENT/);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /rolled back; the database is still at revision 001/);
        assert.equal((await status({ database: db.url, dir })).current, '001');
        assert.deepEqual(await tableNames(db), [
          'accounts',
          'dbdoctor_migrations',
          'dbdoctor_migrations_lock',
        ]);
        assert.deepEqual(
          await rawQuery(db, "SELECT name FROM sqlite_schema WHERE type IN ('view', 'trigger')"),
          [],
        );
      } finally {
        await db.drop();
      }
    });
  }

  it('a view that was already broken, and is left alone, does not block an unrelated migration', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const dir = writeMigrations(db.dir, { '001_base.sql': sqlMigration(BASE_SQL) });
      assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 0);
      await rawExec(db, 'CREATE VIEW stale AS SELECT nope FROM accounts;');
      writeMigrations(db.dir, { '002_more.sql': sqlMigration('CREATE TABLE more (x INTEGER);') });
      const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await status({ database: db.url, dir })).current, '002');
    } finally {
      await db.drop();
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: a failing TS migration is described where it failed`, () => {
    // With transactional DDL the failed migration rolls back with its history row; without it
    // (capabilities.transactionalDdl false: MySQL) what ran stays, recorded as partially applied.
    const transactional = capabilitiesOf(dialect).transactionalDdl;
    it(`an exception thrown by its own code names the code, not the last statement; ${transactional ? 'a refused COMMIT names COMMIT' : 'what ran is recorded, and COMMIT outside a transaction just runs'}`, async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = writeMigrations(db.dir, {
          '001_throws.ts': `export default {
  async up(db) {
    await db.sql('CREATE TABLE pins (id INTEGER)');
    await db.sql('DELETE FROM pins');
    throw new Error('computed value out of range');
  },
};
`,
        });
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /at the migration's own code, after statement 2: computed value out of range/);
        assert.doesNotMatch(r.stderr, /statement: DELETE FROM pins/);
        if (transactional) {
          assert.ok(!(await tableNames(db)).includes('pins'), 'rolled back');
        } else {
          assert.match(r.stderr, /MIGRATION_PARTIAL/);
          assert.match(r.stderr, /2 statement\(s\) before the failing one stayed applied/);
          assert.ok((await tableNames(db)).includes('pins'), 'DDL commits on its own: pins stays');
          assert.deepEqual(
            await rawQuery(db, 'SELECT id, status, statements_done FROM dbdoctor_migrations'),
            [{ id: '001', status: 'started', statements_done: 2 }],
          );
          const st = await cli(['status', '--url', db.url, '--dir', dir]);
          assert.match(st.stdout + st.stderr, /PARTIALLY_APPLIED.*after 2 statement\(s\)/s);
          // Settled the way status says: undo by hand, then resolve.
          await rawExec(db, 'DROP TABLE pins');
          const resolved = await cli(['resolve', '001', '--rolled-back', '--url', db.url, '--dir', dir]);
          assert.equal(resolved.code, 0, resolved.stderr);
        }
        writeMigrations(db.dir, {
          '001_throws.ts': `export default {
  async up(db) {
    await db.sql('CREATE TABLE pins (id INTEGER)');
    await db.sql('COMMIT');
  },
};
`,
        });
        const c = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        if (transactional) {
          assert.equal(c.code, 1, c.stderr);
          assert.match(c.stderr, /TRANSACTION_CONTROL_IN_MIGRATION/);
          assert.match(c.stderr, /at statement 2: .*\n\s+statement: COMMIT/);
          assert.ok(!(await tableNames(db)).includes('pins'), 'rolled back');
        } else {
          // No transaction of dbdoctor's to end: the statement is the migration's own business.
          assert.equal(c.code, 0, c.stderr);
          assert.deepEqual(await rawQuery(db, 'SELECT id, status FROM dbdoctor_migrations'), [
            { id: '001', status: 'applied' },
          ]);
        }
      } finally {
        await db.drop();
      }
    });
  });
}
