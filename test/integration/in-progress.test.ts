/**
 * A migration a live runner is at right now is in progress, not "stopped part-way": `status`
 * and `doctor`, run beside a real `apply` process held at a known statement, must say so (and
 * the doctor must not call the half-changed schema an error), then report nothing once it ends.
 * The runner is held by a gate the test owns (a named lock on MySQL, an advisory lock on
 * PostgreSQL), so where it stands is known, never guessed from timing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  DIALECTS,
  mysqlClient,
  rawQuery,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

interface Gate {
  /** The statement a migration runs to wait for the gate (it also runs in the doctor's replay, where nothing holds it). */
  wait: string;
  open(): Promise<void>;
}

/**
 * Holds an uncommitted insert of key 1 into table `gate` (made by migration 001): a migration's
 * insert of the same key waits for this transaction, and goes through once it rolls back.
 */
async function closedGate(db: TestDatabase): Promise<Gate> {
  const wait = 'INSERT INTO gate (id) VALUES (1);';
  if (db.dialect === 'mysql') {
    const c = await mysqlClient(db.url);
    await c.query('START TRANSACTION');
    await c.query('INSERT INTO gate (id) VALUES (1)');
    return {
      wait,
      open: async () => {
        await c.query('ROLLBACK');
        await c.end();
      },
    };
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query('BEGIN');
  await c.query('INSERT INTO gate (id) VALUES (1)');
  return {
    wait,
    open: async () => {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

/** Waits until the history shows `id` started with `done` statements done (a state, not a time). */
async function untilStarted(
  db: TestDatabase,
  id: string,
  done: number,
  table = 'dbdoctor_migrations',
): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const rows = await rawQuery(
      db,
      `SELECT status, statements_done AS done FROM ${table} WHERE id = ?`.replace(
        '?',
        db.dialect === 'postgres' ? '$1' : '?',
      ),
      [id],
    ).catch(() => []);
    const row = rows[0] as { status?: string; done?: number | string } | undefined;
    if (row?.status === 'started' && Number(row.done) === done) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`migration ${id} never reached ${done} statement(s) done`);
}

interface Finding {
  code: string;
  severity: string;
  message: string;
}

// SQLite has no statement that waits on another session, and its transactional migrations
// leave no started row to read.
for (const dialect of DIALECTS.filter((d) => d !== 'sqlite')) {
  describe(`a migration running right now (${dialect})`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(dialect);
    });
    after(async () => {
      await db.drop();
    });

    it('status and doctor say it is in progress, by whom, and the doctor finds no error; once it ends, nothing is wrong', async () => {
      // transaction:false so PostgreSQL, like MySQL, records each statement as it returns.
      const dir = writeMigrations(db.dir, {
        '001_a.sql':
          '-- migrate:up\nCREATE TABLE gate (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE gate;\n',
        '002_b.sql':
          '-- migrate:up transaction:false\nCREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO gate (id) VALUES (1);\nCREATE TABLE c (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE c;\nDROP TABLE b;\n',
      });
      const first = await cli(['apply', '--url', db.url, '--dir', dir, '--to', '001']);
      assert.equal(first.code, 0, first.stderr);
      const gate = await closedGate(db);
      const runner = spawn(
        process.execPath,
        [CLI_PATH, 'apply', '--url', db.url, '--dir', dir, '--statement-lock-timeout', '10m'],
        { stdio: 'ignore' },
      );
      const exited = new Promise<number | null>((resolve) => runner.on('close', (code) => resolve(code)));
      try {
        await untilStarted(db, '002', 1);

        const status = await cli(['status', '--json', '--url', db.url, '--dir', dir]);
        assert.equal(status.code, 0, status.stderr);
        const problems = status.json<{ problems: { code: string; message: string }[] }>().problems;
        assert.deepEqual(
          problems.map((p) => p.code),
          ['MIGRATION_IN_PROGRESS'],
        );
        assert.match(problems[0]?.message ?? '', /002_b is being applied right now by pid \d+ on /);
        assert.match(problems[0]?.message ?? '', /1 of 3 statements done so far/);
        assert.doesNotMatch(problems[0]?.message ?? '', /stopped/);

        const doctor = await cli(['doctor', '--json', '--no-cache', '--url', db.url, '--dir', dir]);
        const report = doctor.json<{ ok: boolean; findings: Finding[] }>();
        assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
        assert.equal(report.ok, true);
        const codes = report.findings.map((f) => f.code);
        assert.ok(codes.includes('MIGRATION_IN_PROGRESS'), codes.join(', '));
        assert.ok(codes.includes('LOCK_HELD'), codes.join(', '));
        assert.ok(!codes.includes('PARTIALLY_APPLIED'), codes.join(', '));
        assert.deepEqual(
          report.findings.filter((f) => f.severity === 'error'),
          [],
        );
        // The half-made schema is still told (table b exists), as a warning to judge again.
        const drift = report.findings.find((f) => f.code === 'SCHEMA_DRIFT');
        assert.ok(drift, codes.join(', '));
        assert.equal(drift.severity, 'warning');
        assert.match(drift.message, /being run right now/);

        // --fix stamps nothing over a migration in progress.
        const fix = await cli([
          'doctor',
          '--fix',
          '--json',
          '--no-cache',
          '--lock-timeout',
          '1s',
          '--url',
          db.url,
          '--dir',
          dir,
        ]);
        assert.notEqual(fix.code, null);
        const history = await rawQuery(db, 'SELECT id, status FROM dbdoctor_migrations ORDER BY id');
        assert.deepEqual(
          history.map((r) => `${r.id} ${r.status}`),
          ['001 applied', '002 started'],
        );
      } finally {
        await gate.open();
      }
      assert.equal(await exited, 0);
      const done = await cli(['status', '--json', '--url', db.url, '--dir', dir]);
      assert.deepEqual(done.json<{ problems: unknown[] }>().problems, []);
    });

    it('a runner killed while the server still runs its statement is not "in progress": partially applied, saying the statement may still run', async () => {
      // A statement that runs on after its client is gone (a sleep does not notice), found on
      // the server by its text, then ended from here.
      const sleep = db.dialect === 'mysql' ? 'DO SLEEP(300)' : 'SELECT pg_sleep(300)';
      const dir = writeMigrations(
        db.dir,
        {
          '001_a.sql': `-- migrate:up transaction:false\nCREATE TABLE k1 (id INTEGER PRIMARY KEY);\n${sleep};\nCREATE TABLE k2 (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE k2;\nDROP TABLE k1;\n`,
        },
        'killed',
      );
      const table = 'dbdoctor_killed';
      const go = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir, '--history-table', table]);
      const runner = spawn(
        process.execPath,
        [CLI_PATH, 'apply', '--url', db.url, '--dir', dir, '--history-table', table],
        {
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((resolve) => runner.on('close', () => resolve()));
      const session = async (): Promise<string | null> => {
        const rows =
          db.dialect === 'mysql'
            ? await rawQuery(
                db,
                "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(300)%'",
              )
            : await rawQuery(
                db,
                "SELECT pid AS id FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(300)%' AND datname = current_database()",
              );
        return rows[0] ? String(rows[0].id) : null;
      };
      let id: string | null = null;
      try {
        await untilStarted(db, '001', 1, table);
        for (let i = 0; i < 600 && id === null; i++) {
          id = await session();
          if (id === null) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(id, 'the runner reached its sleep');
        runner.kill('SIGKILL');
        await exited;
        const status = await go('status', '--json');
        const problems = status.json<{ problems: { code: string; message: string }[] }>().problems;
        assert.deepEqual(
          problems.map((p) => p.code),
          ['PARTIALLY_APPLIED'],
        );
        assert.match(problems[0]?.message ?? '', /is gone, but the server still holds the migration lock/);
      } finally {
        runner.kill('SIGKILL');
        if (id !== null)
          await rawQuery(
            db,
            db.dialect === 'mysql' ? `KILL ${id}` : `SELECT pg_terminate_backend(${id})`,
          ).catch(() => {});
      }
    });
  });
}
