import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createIndex, type Operation } from '../../src/index.js';
import { migrate } from '../../src/migrations/apply.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  onlyOn,
  pgAdminUrl,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

async function connect(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * Polls until `sql` returns a row; the event it waits for is a row, never a duration. Each poll
 * drops the statistics snapshot, which pg_stat_activity otherwise keeps for a whole transaction.
 */
async function waitForRow(
  client: pg.Client,
  sql: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>> {
  for (;;) {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query(sql, params);
    if (rows[0]) return rows[0];
    await new Promise((r) => setImmediate(r));
  }
}

type Status = { current: string | null; pending: { id: string }[]; problems: { code: string; id: string }[] };

describe(
  'PostgreSQL history is pinned to its schema and survives session changes',
  onlyOn('postgres'),
  () => {
    it('a migration that runs SET search_path TO app, public leaves the history in public; the next migration and status agree', async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, {
          '001_app.sql': sqlMigration(
            'CREATE SCHEMA app;\nSET search_path TO app, public;\nCREATE TABLE a (id INT);',
          ),
          '002_b.sql': sqlMigration('CREATE TABLE b (id INT);'),
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        const where = await rawQuery(
          db,
          "SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'dbdoctor_migrations'",
        );
        assert.deepEqual(where, [{ s: 'public' }]);
        // 002 ran with the search_path reset: b is in public, not in app.
        assert.deepEqual(
          await rawQuery(
            db,
            "SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'b'",
          ),
          [{ s: 'public' }],
        );
        const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<Status>();
        assert.equal(s.current, '002');
        assert.deepEqual(s.pending, []);
        assert.deepEqual(s.problems, []);
        const again = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(again.json<{ applied: unknown[] }>().applied, []);
      } finally {
        await db.drop();
      }
    });

    it("a pg_dump-style file starting with set_config('search_path', '', false) applies and is recorded in public", async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, {
          '001_dump.sql': sqlMigration(
            [
              'SET statement_timeout = 0;',
              "SELECT pg_catalog.set_config('search_path', '', false);",
              'CREATE TABLE public.t (id integer NOT NULL);',
              'ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);',
            ].join('\n'),
          ),
          '002_u.sql': sqlMigration('CREATE TABLE u (id INT);'),
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        const rows = await rawQuery(db, 'SELECT id, status FROM public.dbdoctor_migrations ORDER BY seq');
        assert.deepEqual(rows, [
          { id: '001', status: 'applied' },
          { id: '002', status: 'applied' },
        ]);
        const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<Status>();
        assert.equal(s.current, '002');
        assert.deepEqual(s.problems, []);
      } finally {
        await db.drop();
      }
    });

    it("a failing history write is reported as dbdoctor's HISTORY_WRITE_FAILED, not as the user's statement", async () => {
      const db = await createTestDatabase('postgres');
      const role = `dbdoctor_test_role_${randomBytes(4).toString('hex')}`;
      try {
        await rawExec(db, `CREATE ROLE ${role}; GRANT CREATE, USAGE ON SCHEMA public TO ${role};`);
        const dir = writeMigrations(db.dir, {
          '001_t.sql': sqlMigration('CREATE TABLE t0 (id INT);'),
          '002_role.sql': sqlMigration(
            `CREATE TABLE t (id INT);\nSET ROLE ${role};\nCREATE TABLE t2 (id INT);`,
          ),
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /HISTORY_WRITE_FAILED/);
        assert.match(r.stderr, /dbdoctor's own bookkeeping failed \(it could not record 002 as applied\)/);
        assert.match(r.stderr, /dbdoctor statement: INSERT INTO "public"\."dbdoctor_migrations"/);
        assert.doesNotMatch(r.stderr, /statement 3 of 3/);
        assert.deepEqual(await rawQuery(db, "SELECT to_regclass('public.t') AS t"), [{ t: null }]);
        assert.deepEqual(await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY seq'), [
          { id: '001' },
        ]);
      } finally {
        await db.drop();
        await rawExec(db, `DROP ROLE IF EXISTS ${role}`).catch(() => {});
        const admin = new pg.Client({ connectionString: db.url.replace(/\/[^/]*$/, '/postgres') });
        await admin.connect();
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.end();
      }
    });

    it("a caller's client gets its search_path and role back after migrations that changed them", async () => {
      const db = await createTestDatabase('postgres');
      const client = await connect(db);
      try {
        await client.query('SET search_path TO public; SET work_mem = 1234');
        const dir = writeMigrations(db.dir, {
          '001_t.sql': sqlMigration('CREATE TABLE t (id INT);'),
          '002_app.sql': sqlMigration(
            "CREATE SCHEMA app;\nGRANT ALL ON dbdoctor_migrations TO pg_monitor;\nSET search_path TO app;\nSET work_mem = '8MB';\nSET application_name = 'changed';\nSET ROLE pg_monitor;",
          ),
        });
        await migrate({ database: client, dir });
        const { rows } = await client.query(
          "SELECT current_setting('search_path') AS sp, current_setting('work_mem') AS wm, current_setting('application_name') AS app, current_setting('role') AS role",
        );
        assert.deepEqual(rows, [{ sp: 'public', wm: '1234kB', app: '', role: 'none' }]);
      } finally {
        await client.end();
        await db.drop();
      }
    });
  },
);

describe('PostgreSQL down outside a transaction', onlyOn('postgres'), () => {
  it('a down SIGKILLed mid-way shows as partially reverted, blocks apply and down, and resolve settles it', async () => {
    const db = await createTestDatabase('postgres');
    const holder = await connect(db);
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration(
          'CREATE TABLE t (id INT, v INT);\nCREATE TABLE u (id INT);',
          'DROP TABLE u;\nDROP TABLE t;',
        ),
        '002_idx.sql':
          '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\nALTER TABLE u ADD COLUMN w INT;\n\n' +
          '-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_v;\nALTER TABLE u DROP COLUMN w;\n',
      });
      const run = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir]);
      assert.equal((await run('apply')).code, 0);
      // The test holds a lock the down's second statement needs, and kills the runner once that
      // statement is seen waiting for it.
      await holder.query('BEGIN; LOCK TABLE u IN ACCESS SHARE MODE');
      const child = spawn(
        process.execPath,
        [CLI_PATH, 'down', '--statement-lock-timeout', '10m', '--url', db.url, '--dir', dir],
        { stdio: 'ignore' },
      );
      const exited = new Promise((r) => child.on('exit', r));
      const waiting = await waitForRow(
        holder,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE u DROP COLUMN w%'",
      );
      child.kill('SIGKILL');
      await exited;
      // The server backend of a killed client lives on while it waits; end it as a crash would.
      await holder.query('SELECT pg_terminate_backend($1)', [waiting.pid]);
      await waitForRow(
        holder,
        'SELECT 1 AS gone WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)',
        [waiting.pid],
      );
      await holder.query('ROLLBACK');

      const s = (await run('status', '--json')).json<Status>();
      assert.deepEqual(
        s.problems.map((p) => [p.code, p.id]),
        [['PARTIALLY_REVERTED', '002']],
      );
      assert.equal(s.current, '001');
      const [row] = await rawQuery(
        db,
        "SELECT status, statements_done, statements_total FROM dbdoctor_migrations WHERE id = '002'",
      );
      assert.deepEqual(row, { status: 'reverting', statements_done: 1, statements_total: 2 });
      const doctor = await run('doctor', '--json');
      assert.equal(doctor.code, 1);
      assert.ok(
        doctor.json<{ findings: { code: string }[] }>().findings.some((f) => f.code === 'PARTIALLY_REVERTED'),
      );
      const apply = await run('apply');
      assert.equal(apply.code, 1);
      assert.match(apply.stderr, /PARTIALLY_REVERTED/);
      const down = await run('down');
      assert.equal(down.code, 1);
      assert.match(down.stderr, /PARTIALLY_REVERTED/);

      // Finish the down by hand, then settle the history.
      await rawExec(db, 'ALTER TABLE u DROP COLUMN w');
      const resolved = await run('resolve', '002', '--rolled-back');
      assert.equal(resolved.code, 0, resolved.stderr);
      const after = (await run('status', '--json')).json<Status>();
      assert.equal(after.current, '001');
      assert.deepEqual(after.problems, []);
      assert.deepEqual(
        after.pending.map((p) => p.id),
        ['002'],
      );
      assert.equal((await run('apply')).code, 0);
    } finally {
      await holder.end().catch(() => {});
      await db.drop();
    }
  });

  it('resolve --applied settles a partially reverted migration whose changes were redone', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id INT, v INT);'),
        '002_idx.sql':
          '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n\n' +
          '-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY t_v;\nDROP INDEX CONCURRENTLY no_such_index;\n',
      });
      const run = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir]);
      assert.equal((await run('apply')).code, 0);
      const down = await run('down');
      assert.equal(down.code, 1);
      assert.match(down.stderr, /MIGRATION_PARTIAL/);
      assert.match(down.stderr, /partially reverted/);
      const s = (await run('status', '--json')).json<Status>();
      assert.deepEqual(
        s.problems.map((p) => p.code),
        ['PARTIALLY_REVERTED'],
      );
      await rawExec(db, 'CREATE INDEX t_v ON t (v)');
      assert.equal((await run('resolve', '002', '--applied')).code, 0);
      const after = (await run('status', '--json')).json<Status>();
      assert.equal(after.current, '002');
      assert.deepEqual(after.problems, []);
    } finally {
      await db.drop();
    }
  });
});

const CIC_TIMEOUT = ['--statement-lock-timeout', '200ms'];

/**
 * Runs `apply` while the test holds an open write transaction on t: CREATE INDEX CONCURRENTLY
 * gets its table lock, creates the index, then waits for that transaction and hits lock_timeout,
 * leaving an INVALID index. The transaction stays open until the runner exits.
 */
async function applyWhileWriting(db: TestDatabase, dir: string) {
  const holder = await connect(db);
  try {
    await holder.query('BEGIN; INSERT INTO t (v) VALUES (1)');
    return await cli(['apply', ...CIC_TIMEOUT, '--url', db.url, '--dir', dir]);
  } finally {
    await holder.query('ROLLBACK').catch(() => {});
    await holder.end();
  }
}

async function indexValidity(db: TestDatabase, name: string) {
  return rawQuery(db, 'SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)', [name]);
}

describe('CREATE INDEX CONCURRENTLY is never retried blindly', onlyOn('postgres'), () => {
  for (const ifNotExists of [false, true]) {
    it(`after lock_timeout inside CREATE INDEX CONCURRENTLY${ifNotExists ? ' IF NOT EXISTS' : ''}, the invalid index is named, never recorded as applied`, async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, {
          '001_t.sql': sqlMigration('CREATE TABLE t (id SERIAL PRIMARY KEY, v INT);'),
          '002_idx.sql': `-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY ${ifNotExists ? 'IF NOT EXISTS ' : ''}t_v ON t (v);\n`,
        });
        assert.equal((await cli(['apply', '--to', '001', '--url', db.url, '--dir', dir])).code, 0);
        const r = await applyWhileWriting(db, dir);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /MIGRATION_PARTIAL/);
        assert.match(r.stderr, /INVALID index\(es\) public\.t_v/);
        assert.match(r.stderr, /DROP INDEX CONCURRENTLY IF EXISTS public\.t_v;/);
        const [row] = await rawQuery(db, "SELECT status FROM dbdoctor_migrations WHERE id = '002'");
        assert.deepEqual(row, { status: 'started' });
        assert.deepEqual(await indexValidity(db, 't_v'), [{ indisvalid: false }]);
        // Clean up as told, settle, and apply: now the index is built and valid.
        await rawExec(db, 'DROP INDEX CONCURRENTLY IF EXISTS public.t_v');
        assert.equal((await cli(['resolve', '002', '--rolled-back', '--url', db.url, '--dir', dir])).code, 0);
        const again = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(again.code, 0, again.stderr);
        assert.deepEqual(await indexValidity(db, 't_v'), [{ indisvalid: true }]);
      } finally {
        await db.drop();
      }
    });
  }

  it("the DSL's concurrent index goes through the same guard", async () => {
    const db = await createTestDatabase('postgres');
    try {
      const ops = (list: Operation[]) => `export default ${JSON.stringify({ ops: list })};\n`;
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id SERIAL PRIMARY KEY, v INT);'),
        '002_idx.mjs': ops([createIndex('t', ['v'], { name: 't_v', concurrently: true })]),
      });
      assert.equal((await cli(['apply', '--to', '001', '--url', db.url, '--dir', dir])).code, 0);
      const r = await applyWhileWriting(db, dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /INVALID index\(es\) public\.t_v/);
      assert.match(r.stderr, /DROP INDEX CONCURRENTLY IF EXISTS public\.t_v;/);
      const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<Status>();
      assert.deepEqual(
        s.problems.map((p) => p.code),
        ['PARTIALLY_APPLIED'],
      );
    } finally {
      await db.drop();
    }
  });

  it('IF NOT EXISTS over an INVALID index left earlier fails with INDEX_INVALID instead of recording applied', async () => {
    const db = await createTestDatabase('postgres');
    try {
      await rawExec(db, 'CREATE TABLE t (id SERIAL PRIMARY KEY, v INT); INSERT INTO t (v) VALUES (1), (1);');
      // A unique index over duplicates fails part-way and leaves an INVALID index (PG docs).
      await rawExec(db, 'CREATE UNIQUE INDEX CONCURRENTLY "T_v" ON t (v)').catch(() => {});
      assert.deepEqual(await indexValidity(db, '"T_v"'), [{ indisvalid: false }]);
      const dir = writeMigrations(db.dir, {
        '001_idx.sql':
          '-- migrate:up transaction:false\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "T_v" ON public.t (v);\n',
      });
      const r = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /INDEX_INVALID/);
      assert.match(r.stderr, /public\."T_v"/);
      const s = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<Status>();
      assert.equal(s.current, null);
      assert.deepEqual(
        s.problems.map((p) => p.code),
        ['PARTIALLY_APPLIED'],
      );
    } finally {
      await db.drop();
    }
  });
});

/** The database name of a test database's URL. */
function databaseName(db: TestDatabase): string {
  return decodeURIComponent(new URL(db.url).pathname.slice(1));
}

async function historySchemas(db: TestDatabase): Promise<string[]> {
  const rows = await rawQuery(
    db,
    "SELECT table_schema AS s FROM information_schema.tables WHERE table_name = 'dbdoctor_migrations' ORDER BY 1",
  );
  return rows.map((r) => String(r.s));
}

/**
 * Applies up to 002 (which makes current_schema() resolve elsewhere on the next connection),
 * then checks through the CLI that the next run still finds the history: status at 002, apply
 * runs only 003, 001's row is not inserted twice, one history table in public.
 */
async function assertHistoryStays(db: TestDatabase, url: string, dir: string): Promise<void> {
  const first = await cli(['apply', '--url', url, '--dir', dir, '--to', '002']);
  assert.equal(first.code, 0, first.stderr);
  const s = (await cli(['status', '--json', '--url', url, '--dir', dir])).json<Status>();
  assert.equal(s.current, '002');
  assert.deepEqual(
    s.pending.map((p) => p.id),
    ['003'],
  );
  const r = await cli(['apply', '--json', '--url', url, '--dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
    ['003'],
  );
  assert.deepEqual(await rawQuery(db, 'SELECT count(*)::int AS n FROM public.a'), [{ n: 1 }]);
  assert.deepEqual(await historySchemas(db), ['public']);
  const after = (await cli(['status', '--json', '--url', url, '--dir', dir])).json<Status>();
  assert.equal(after.current, '003');
  assert.deepEqual(after.problems, []);
}

describe(
  'PostgreSQL history is found where it is, whatever current_schema() says now (red-team 3)',
  onlyOn('postgres'),
  () => {
    const a = sqlMigration(
      "CREATE TABLE a (id serial PRIMARY KEY, v text);\nINSERT INTO a (v) VALUES ('precious');",
    );
    const b = sqlMigration('CREATE TABLE b (id serial PRIMARY KEY);');

    it('a migration that runs ALTER DATABASE … SET search_path = app, public: status and apply still use the history in public', async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, {
          '001_a.sql': a,
          '002_schema.sql': sqlMigration(
            `CREATE SCHEMA app;\nALTER DATABASE "${databaseName(db)}" SET search_path = app, public;`,
          ),
          '003_b.sql': b,
        });
        await assertHistoryStays(db, db.url, dir);
      } finally {
        await db.drop();
      }
    });

    it('a migration that creates the schema named like the login role ("$user" in search_path): status and apply still use the history in public', async () => {
      const db = await createTestDatabase('postgres');
      const role = `dbdoctor_test_role_${randomBytes(4).toString('hex')}`;
      try {
        await rawExec(db, `CREATE ROLE ${role} LOGIN`);
        await rawExec(db, `GRANT ALL ON SCHEMA public TO ${role}`);
        await rawExec(db, `GRANT CREATE ON DATABASE "${databaseName(db)}" TO ${role}`);
        const url = new URL(db.url);
        url.username = role;
        url.password = '';
        const dir = writeMigrations(db.dir, {
          '001_a.sql': a,
          '002_userschema.sql': sqlMigration(`CREATE SCHEMA ${role};`),
          '003_b.sql': b,
        });
        await assertHistoryStays(db, url.href, dir);
      } finally {
        await db.drop();
        const admin = new pg.Client({ connectionString: await pgAdminUrl() });
        await admin.connect();
        await admin.query(`DROP ROLE IF EXISTS ${role}`);
        await admin.end();
      }
    });

    it('history tables of that name in two schemas: HISTORY_AMBIGUOUS naming both, nothing run', async () => {
      const db = await createTestDatabase('postgres');
      try {
        const dir = writeMigrations(db.dir, { '001_a.sql': a });
        const r0 = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r0.code, 0, r0.stderr);
        await rawExec(
          db,
          'CREATE SCHEMA other; CREATE TABLE other.dbdoctor_migrations (LIKE public.dbdoctor_migrations)',
        );
        writeMigrations(db.dir, { '002_b.sql': b });
        for (const cmd of ['status', 'apply']) {
          const r = await cli([cmd, '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr, /HISTORY_AMBIGUOUS/);
          assert.match(r.stderr, /"other"\."dbdoctor_migrations"/);
          assert.match(r.stderr, /"public"\."dbdoctor_migrations"/);
          assert.match(r.stderr, /historyTable/);
        }
        assert.deepEqual(await rawQuery(db, "SELECT to_regclass('public.b') AS t"), [{ t: null }]);
      } finally {
        await db.drop();
      }
    });
  },
);

describe('resolve --applied never records an INVALID index as done (red-team 12)', onlyOn('postgres'), () => {
  it('after a failed unique CREATE INDEX CONCURRENTLY, resolve --applied says INDEX_INVALID naming the index and its DROP; the PARTIAL message names it once', async () => {
    const db = await createTestDatabase('postgres');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration(
          "CREATE TABLE users (id serial PRIMARY KEY, email text);\nINSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('a@x');",
        ),
        '002_uidx.sql':
          '-- migrate:up transaction:false\nCREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users (email);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY users_email_uq;\n',
      });
      const failed = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /MIGRATION_PARTIAL/);
      assert.equal(failed.stderr.match(/It left INVALID index/g)?.length, 1, failed.stderr);
      assert.match(failed.stderr, /users_email_uq/);

      const r = await cli(['resolve', '002', '--applied', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /INDEX_INVALID/);
      assert.match(r.stderr, /public\.users_email_uq/);
      assert.match(r.stderr, /DROP INDEX CONCURRENTLY/);
      assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
      assert.deepEqual(await rawQuery(db, "SELECT status FROM dbdoctor_migrations WHERE id = '002'"), [
        { status: 'started' },
      ]);

      // The documented path: drop it, fix the data, resolve as rolled back, apply.
      await rawExec(db, 'DROP INDEX CONCURRENTLY public.users_email_uq');
      await rawExec(db, 'DELETE FROM users WHERE id = 3');
      assert.equal((await cli(['resolve', '002', '--rolled-back', '--url', db.url, '--dir', dir])).code, 0);
      const again = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        await rawQuery(
          db,
          "SELECT indisvalid AS v FROM pg_index WHERE indexrelid = 'users_email_uq'::regclass",
        ),
        [{ v: true }],
      );
    } finally {
      await db.drop();
    }
  });
});
