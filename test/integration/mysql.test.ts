/**
 * MySQL/MariaDB: connection errors, the GET_LOCK migration lock and the started/finished history
 * of migrations whose DDL commits on its own, proven with real processes killed mid-way.
 * Synchronisation is explicit: a migration blocks on a user lock (GET_LOCK) the test holds, and
 * the test waits until the server shows it waiting there, never on a timer.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as mysql from 'mysql2/promise';
import { openConnection } from '../../src/dialects/open.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  mysqlAdminUrl,
  mysqlClient,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

/** Holds a user lock named `gate` on its own connection until `open()`. */
async function holdGate(url: string, gate: string): Promise<{ open(): Promise<void> }> {
  const c = await mysqlClient(url);
  const [rows] = await c.query('SELECT GET_LOCK(?, 0) AS ok', [gate]);
  assert.equal((rows as { ok: number }[])[0]?.ok, 1);
  return { open: () => c.end() };
}

/** Waits (polling the server, bounded) until some session is blocked in GET_LOCK(gate). */
async function waitUntilBlockedOn(
  watcher: mysql.Connection,
  gate: string,
  child: ChildProcess,
): Promise<void> {
  // The bound only ends a hung test: a loaded machine may take seconds to start the runner.
  const giveUpAt = Date.now() + 120_000;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) throw new Error(`the runner exited early (${child.exitCode})`);
    const [rows] = await watcher.query(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('%GET_LOCK(''', ?, '''%') AND ID <> CONNECTION_ID()",
      [gate],
    );
    if (Number((rows as { n: number }[])[0]?.n) > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the runner never reached the gate');
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function spawnApply(db: TestDatabase, dir: string): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, 'apply', '--json', '--url', db.url, '--dir', dir], {
    cwd: db.dir,
    stdio: 'ignore',
  });
}

describe('MySQL connections', () => {
  it('a wrong password is DB_AUTH_FAILED, and the password appears nowhere', async () => {
    const u = new URL(mysqlAdminUrl());
    u.username = 'dbdoctor_no_such_user';
    u.password = 'S3cret-Pa55word';
    const r = await cli(['status', '--url', u.toString(), '--dir', '.']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /DB_AUTH_FAILED/);
    assert.doesNotMatch(r.stdout + r.stderr, /S3cret-Pa55word/);
    assert.match(r.stderr, /:\*\*\*@/);
  });

  it('a missing database is DB_NOT_FOUND; no server is DB_UNREACHABLE', async () => {
    const u = new URL(mysqlAdminUrl());
    u.pathname = '/dbdoctor_no_such_database_here';
    const missing = await cli(['apply', '--url', u.toString(), '--dir', '.']);
    assert.match(missing.stderr, /DB_NOT_FOUND/);
    const gone = await cli(['status', '--url', 'mariadb://root:pw-secret-1@127.0.0.1:1/db', '--dir', '.']);
    assert.match(gone.stderr, /DB_UNREACHABLE/);
    assert.doesNotMatch(gone.stdout + gone.stderr, /pw-secret-1/);
    assert.doesNotMatch(gone.stderr, /INTERNAL|at .*\.js:\d+/);
  });

  it('statements are sent one at a time: two in one query string are refused by the server', async () => {
    const db = await createTestDatabase('mysql');
    try {
      const conn = await openConnection(db.url);
      try {
        await assert.rejects(conn.query('SELECT 1; SELECT 2'), /syntax/i);
        await conn.exec('CREATE TABLE a (id INT); INSERT INTO a VALUES (1); # done');
        assert.deepEqual(await conn.query('SELECT id FROM a WHERE id = ?', [1]), [{ id: 1 }]);
      } finally {
        await conn.close();
      }
    } finally {
      await db.drop();
    }
  });
});

describe('MySQL migrations: apply, status, down', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('mysql');
  });
  after(() => db.drop());

  it('applies SQL files written for the mysql client (DELIMITER, # comments, escapes) and reverts them', async () => {
    const dir = writeMigrations(db.dir, {
      '001_users.sql': sqlMigration(
        "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL DEFAULT 'it''s', bio TEXT); # users\nINSERT INTO users (name) VALUES ('a\\\\b;c');",
        'DROP TABLE users;',
      ),
      '002_proc.sql': sqlMigration(
        "DELIMITER $$\nCREATE PROCEDURE add_user(n VARCHAR(40))\nBEGIN\n  INSERT INTO users (name) VALUES (n);\n  SELECT COUNT(*) FROM users;\nEND$$\nDELIMITER ;\nCALL add_user('x');",
        'DROP PROCEDURE add_user;',
      ),
    });
    const applied = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
    assert.equal(applied.code, 0, applied.stderr);
    const rows = await rawQuery(db, 'SELECT name FROM users ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.name),
      ['a\\b;c', 'x'],
    );
    const history = await rawQuery(
      db,
      'SELECT id, status, statements_done, statements_total FROM dbdoctor_migrations ORDER BY seq',
    );
    assert.deepEqual(history, [
      { id: '001', status: 'applied', statements_done: 2, statements_total: 2 },
      { id: '002', status: 'applied', statements_done: 2, statements_total: 2 },
    ]);
    const status = await cli(['status', '--url', db.url, '--dir', dir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /not transactional|commits? (DDL|each statement)/i);
    const down = await cli(['down', '--to', 'base', '--url', db.url, '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await tableNames(db), ['dbdoctor_migrations', 'dbdoctor_migrations_lock']);
  });
});

describe('MySQL: SQL files with block-keyword names, DEFINER prefixes and sql_mode, without DELIMITER', () => {
  it('apply splits them as the mysql client would, and every statement runs', async () => {
    const db = await createTestDatabase('mysql');
    try {
      const dir = writeMigrations(db.dir, {
        '001_spans.sql': sqlMigration(
          'CREATE TABLE spans (id INT PRIMARY KEY, start INT, `end` INT);\nCREATE TRIGGER spans_default BEFORE INSERT ON spans FOR EACH ROW BEGIN IF NEW.end IS NULL THEN SET NEW.end = NEW.start + 1; END IF; END;\nINSERT INTO spans (id, start) VALUES (1, 10);',
        ),
        '002_event.sql': sqlMigration(
          'CREATE TABLE event (id INT PRIMARY KEY, begin DATETIME); INSERT INTO event VALUES (1, NOW());',
        ),
        '003_definer.sql': sqlMigration(
          'CREATE TABLE t (v INT);\nCREATE DEFINER = CURRENT_USER() PROCEDURE p() BEGIN INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END;\nCALL p();',
        ),
        '004_mode.sql': sqlMigration(
          "SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'; CREATE TABLE \"q\" (a VARCHAR(10)); INSERT INTO q VALUES ('c:\\'); SET NAMES latin1;",
        ),
        '005_names.sql': sqlMigration(
          'CREATE PROCEDURE fill(IN begin INT) BEGIN DECLARE n INT DEFAULT 0; INSERT INTO spans (id, start, end) VALUES (begin, begin, begin + 5); SELECT end INTO n FROM spans WHERE id = begin; FOR i IN 1..2 DO INSERT INTO t VALUES (n + i); END FOR; END;\nCALL fill(2);',
        ),
      });
      const applied = await cli(['apply', '--json', '--url', db.url, '--dir', dir]);
      assert.equal(applied.code, 0, applied.stderr);
      const history = await rawQuery(db, 'SELECT id, statements_total FROM dbdoctor_migrations ORDER BY seq');
      assert.deepEqual(
        history.map((r) => [r.id, r.statements_total]),
        [
          ['001', 3],
          ['002', 2],
          ['003', 3],
          ['004', 4],
          ['005', 2],
        ],
      );
      assert.deepEqual(await rawQuery(db, 'SELECT id, start, `end` FROM spans ORDER BY id'), [
        { id: 1, start: 10, end: 11 },
        { id: 2, start: 2, end: 7 },
      ]);
      assert.deepEqual(await rawQuery(db, 'SELECT COUNT(*) AS n FROM event'), [{ n: 1 }]);
      assert.deepEqual(
        (await rawQuery(db, 'SELECT v FROM t ORDER BY v')).map((r) => r.v),
        [1, 2, 8, 9],
      );
      assert.deepEqual(await rawQuery(db, 'SELECT a FROM q'), [{ a: 'c:\\' }]);
    } finally {
      await db.drop();
    }
  });
});

describe('MySQL: the lock waits of a run', () => {
  it("are set once for the run, and a migration that changes them gets the runner's values back", async () => {
    const db = await createTestDatabase('mysql');
    try {
      const dir = writeMigrations(db.dir, {
        '001_first.sql': sqlMigration(
          'CREATE TABLE seen1 AS SELECT @@SESSION.lock_wait_timeout AS w, @@SESSION.innodb_lock_wait_timeout AS i;\nSET SESSION lock_wait_timeout = 77, innodb_lock_wait_timeout = 78;',
        ),
        '002_second.sql': sqlMigration(
          'CREATE TABLE seen2 AS SELECT @@SESSION.lock_wait_timeout AS w, @@SESSION.innodb_lock_wait_timeout AS i;',
        ),
      });
      const r = await cli(['apply', '--statement-lock-timeout', '3s', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      for (const t of ['seen1', 'seen2'])
        assert.deepEqual(await rawQuery(db, `SELECT w, i FROM ${t}`), [{ w: 3, i: 3 }], t);
    } finally {
      await db.drop();
    }
  });
});

describe('MySQL: the session state a migration changes', () => {
  // Every variable captureMysqlSession puts back, and the current database.
  const STATE =
    'DATABASE() AS db, @@SESSION.sql_mode AS sql_mode, @@SESSION.foreign_key_checks AS fkc, @@SESSION.unique_checks AS uc, @@SESSION.time_zone AS tz, @@SESSION.character_set_client AS cc, @@SESSION.character_set_connection AS ccn, @@SESSION.character_set_results AS cr, @@SESSION.collation_connection AS coll, @@SESSION.autocommit AS ac, @@SESSION.sql_safe_updates AS ssu, @@SESSION.group_concat_max_len AS gcml, @@SESSION.lock_wait_timeout AS lwt, @@SESSION.innodb_lock_wait_timeout AS ilwt';
  // `SET @@sql_mode` first: MariaDB 10.11's session tracking does not report that form, so a
  // restore that trusted the server's state-change flag would miss it.
  const CHANGE = (n: number) =>
    `SET @@sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES';\nSET foreign_key_checks = 0, unique_checks = 0, time_zone = '+0${n}:00', sql_safe_updates = 1, group_concat_max_len = ${4000 + n}, lock_wait_timeout = ${70 + n}, innodb_lock_wait_timeout = ${80 + n};\nSET NAMES latin1;\nSET autocommit = 0;\nUSE information_schema;`;

  it("is put back after each migration: before the next one (the state returned by the history upsert on MariaDB) and after the last (read), on the caller's connection", async () => {
    const db = await createTestDatabase('mysql');
    const conn = await mysqlClient(db.url);
    try {
      const dir = writeMigrations(db.dir, {
        '001_before.sql': sqlMigration(`CREATE TABLE s1 AS SELECT ${STATE};`),
        '002_change.sql': sqlMigration(CHANGE(2)),
        // Its started row is written (as literals) while 002's session has ANSI_QUOTES,
        // NO_BACKSLASH_ESCAPES and latin1.
        "003_after_ünïcode_o'brien\\x.sql": sqlMigration(`CREATE TABLE s2 AS SELECT ${STATE};`),
        '004_change_last.sql': sqlMigration(CHANGE(4)),
      });
      const { migrate } = await import('../../src/index.js');
      const result = await migrate({ database: conn, dir });
      assert.deepEqual(
        result.applied.map((a) => a.id),
        ['001', '002', '003', '004'],
      );
      const [before] = await rawQuery(db, 'SELECT * FROM s1');
      assert.equal(before?.db, db.url.split('/').pop());
      assert.deepEqual(
        await rawQuery(db, 'SELECT * FROM s2'),
        [before],
        'the migration after 002 ran in the state before it',
      );
      const [[after]] = (await conn.query(`SELECT ${STATE}`)) as unknown as [Record<string, unknown>[]];
      // The lock waits are the run's own inside it (s1 saw them), reset to DEFAULT after it.
      const text = (r: Record<string, unknown> | undefined) =>
        Object.fromEntries(
          Object.entries(r ?? {})
            .filter(([k]) => k !== 'lwt' && k !== 'ilwt')
            .map(([k, v]) => [k, String(v)]),
        );
      assert.deepEqual(text(after), text(before), "the caller's connection is back in its state after 004");
      const names = await rawQuery(db, "SELECT name FROM dbdoctor_migrations WHERE id = '003'");
      assert.deepEqual(names, [{ name: "after_ünïcode_o'brien\\x" }]);
      const history = await rawQuery(db, 'SELECT id, status FROM dbdoctor_migrations ORDER BY seq');
      assert.deepEqual(
        history.map((r) => [r.id, r.status]),
        [
          ['001', 'applied'],
          ['002', 'applied'],
          ['003', 'applied'],
          ['004', 'applied'],
        ],
      );
    } finally {
      await conn.end();
      await db.drop();
    }
  });
});

describe('MySQL with real processes killed mid-way', () => {
  it('a runner killed mid-migration leaves it partially applied; its GET_LOCK is released by the server', async () => {
    const db = await createTestDatabase('mysql');
    const gate = `dbdoctor_test_gate_${process.pid}_${Date.now()}`;
    const watcher = await mysqlClient(db.url);
    try {
      const dir = writeMigrations(db.dir, {
        '001_first.sql': sqlMigration('CREATE TABLE first_t (id INT);'),
        '002_blocked.sql': sqlMigration(
          `CREATE TABLE second_t (id INT);\nDO GET_LOCK('${gate}', 600);\nCREATE TABLE third_t (id INT);`,
        ),
      });
      const held = await holdGate(db.url, gate);
      const runner = spawnApply(db, dir);
      try {
        await waitUntilBlockedOn(watcher, gate, runner);
        // While it runs, a second runner waits for the migration lock and names the holder.
        const second = await cli(['apply', '--lock-timeout', '300ms', '--url', db.url, '--dir', dir]);
        assert.match(second.stderr, /LOCK_TIMEOUT/);
        assert.match(second.stderr, new RegExp(`process ${runner.pid} on `));
        await killed(runner);
      } finally {
        await killed(runner);
        await held.open();
      }
      // The statement before the kill stayed (DDL commits at once); history says so.
      assert.deepEqual(await tableNames(db), [
        'dbdoctor_migrations',
        'dbdoctor_migrations_lock',
        'first_t',
        'second_t',
      ]);
      const rows = await rawQuery(
        db,
        'SELECT id, status, statements_done, statements_total FROM dbdoctor_migrations ORDER BY seq',
      );
      assert.deepEqual(rows, [
        { id: '001', status: 'applied', statements_done: 1, statements_total: 1 },
        { id: '002', status: 'started', statements_done: 1, statements_total: 3 },
      ]);
      const status = await cli(['status', '--url', db.url, '--dir', dir]);
      assert.match(status.stdout + status.stderr, /PARTIALLY_APPLIED/);
      assert.match(status.stdout + status.stderr, /after 1 of 3 statements/);
      // The dead runner's lock is gone: the next runner gets it at once and stops at the
      // partial migration instead of timing out on the lock.
      const again = await cli(['apply', '--lock-timeout', '20s', '--url', db.url, '--dir', dir]);
      assert.notEqual(again.code, 0);
      assert.doesNotMatch(again.stderr, /LOCK_TIMEOUT/);
      assert.match(again.stderr, /PARTIAL/);
    } finally {
      await watcher.end();
      await db.drop();
    }
  });
});

describe('MySQL: a runner killed at a migration boundary or at its last statement', () => {
  // Each migration's finished row is written with the next one's started row, and no progress
  // row follows a migration's last statement (its finished row says so): a kill at either
  // point must still leave history saying exactly which statements ran.
  const cases = [
    {
      name: 'at the first statement of the next migration',
      blocked: (gate: string) => ({
        '001_two.sql': sqlMigration('CREATE TABLE one_t (id INT);\nCREATE TABLE two_t (id INT);'),
        '002_gated.sql': sqlMigration(`DO GET_LOCK('${gate}', 600);\nCREATE TABLE three_t (id INT);`),
      }),
      tables: ['one_t', 'two_t'],
      rows: [
        { id: '001', status: 'applied', statements_done: 2, statements_total: 2 },
        { id: '002', status: 'started', statements_done: 0, statements_total: 2 },
      ],
      said: /002_gated was partially applied.*after 0 of 2 statements.*Statement 1 was running/s,
    },
    {
      name: 'at the last statement of a migration',
      blocked: (gate: string) => ({
        '001_one.sql': sqlMigration('CREATE TABLE one_t (id INT);'),
        '002_last.sql': sqlMigration(`CREATE TABLE two_t (id INT);\nDO GET_LOCK('${gate}', 600);`),
        '003_never.sql': sqlMigration('CREATE TABLE three_t (id INT);'),
      }),
      tables: ['one_t', 'two_t'],
      rows: [
        { id: '001', status: 'applied', statements_done: 1, statements_total: 1 },
        { id: '002', status: 'started', statements_done: 1, statements_total: 2 },
      ],
      said: /002_last was partially applied.*after 1 of 2 statements.*Statement 2 was running/s,
    },
  ];
  for (const c of cases) {
    it(`killed ${c.name}: status names the statements that ran and the one that may have`, async () => {
      const db = await createTestDatabase('mysql');
      const gate = `dbdoctor_test_gate_${process.pid}_${Date.now()}`;
      const watcher = await mysqlClient(db.url);
      try {
        const dir = writeMigrations(db.dir, c.blocked(gate));
        const held = await holdGate(db.url, gate);
        const runner = spawnApply(db, dir);
        try {
          await waitUntilBlockedOn(watcher, gate, runner);
          await killed(runner);
        } finally {
          await killed(runner);
          await held.open();
        }
        assert.deepEqual(await tableNames(db), [
          'dbdoctor_migrations',
          'dbdoctor_migrations_lock',
          ...c.tables,
        ]);
        const rows = await rawQuery(
          db,
          'SELECT id, status, statements_done, statements_total FROM dbdoctor_migrations ORDER BY seq',
        );
        assert.deepEqual(rows, c.rows);
        const status = await cli(['status', '--url', db.url, '--dir', dir]);
        assert.match(status.stdout + status.stderr, /PARTIALLY_APPLIED/);
        assert.match(status.stdout + status.stderr, c.said);
      } finally {
        await watcher.end();
        await db.drop();
      }
    });
  }
});

describe('examples on mysql', () => {
  const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
  const projects = fs.readdirSync(EXAMPLES).filter((e) => fs.existsSync(path.join(EXAMPLES, e, 'mysql')));
  it('there is at least one MySQL example project', () => assert.ok(projects.length > 0));
  for (const example of projects) {
    it(`${example}/mysql: applies, down/up of its last migration, doctor finds no drift, reverts to empty`, async () => {
      const db = await createTestDatabase('mysql');
      const dir = path.join(EXAMPLES, example, 'mysql');
      const run = (...a: string[]) =>
        cli([...a, '--url', db.url, '--dir', dir], { cwd: db.dir, env: { DBDOCTOR_CACHE_DIR: undefined } });
      try {
        for (const step of [
          ['apply'],
          ['down'],
          ['apply'],
          ['doctor', '--no-cache'],
          ['down', '--to', 'base'],
        ]) {
          const r = await run(...step);
          assert.equal(r.code, 0, `${step.join(' ')}: ${r.stdout}${r.stderr}`);
        }
        assert.deepEqual(
          (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
          [],
        );
      } finally {
        await db.drop();
      }
    });
  }
});

/** The mysql command-line client of this machine (mariadb, else mysql), or null. */
function mysqlCli(): string | null {
  for (const file of ['mariadb', 'mysql']) {
    try {
      execFileSync(file, ['--version'], { stdio: 'ignore' });
      return file;
    } catch {}
  }
  return null;
}

describe('MySQL: objects made by the mysql client and by dbdoctor are the same objects', () => {
  const client = mysqlCli();
  it('a trigger and a function made with the mysql client match the migration that makes them (no IGNORE_SPACE in their sql_mode)', {
    skip: client === null ? 'no mysql or mariadb client on this machine' : false,
  }, async () => {
    const db = await createTestDatabase('mysql');
    try {
      const sql =
        'CREATE TABLE acc (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0);\n' +
        'CREATE TRIGGER acc_bi BEFORE INSERT ON acc FOR EACH ROW SET NEW.n = NEW.n + 1;\n' +
        'CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;';
      const u = new URL(db.url);
      execFileSync(client as string, [
        '-h',
        u.hostname,
        '-P',
        u.port || '3306',
        '-u',
        decodeURIComponent(u.username) || 'root',
        decodeURIComponent(u.pathname.slice(1)),
        '-e',
        sql,
      ]);
      const dir = writeMigrations(db.dir, { '001_acc.sql': sqlMigration(sql) });
      const run = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir]);
      assert.equal((await run('stamp', '001')).code, 0);
      const doctor = await run('doctor', '--json', '--no-cache');
      const report = doctor.json<{ ok: boolean; matches: string | null; findings: { code: string }[] }>();
      assert.equal(report.matches, '001', JSON.stringify(report.findings));
      assert.equal(doctor.code, 0, doctor.stdout);
      // And the other way: applied by dbdoctor, the objects store the client's sql_mode.
      const other = await createTestDatabase('mysql');
      try {
        assert.equal((await cli(['apply', '--url', other.url, '--dir', dir])).code, 0);
        const modes = await rawQuery(
          other,
          'SELECT SQL_MODE AS m FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() UNION ALL SELECT SQL_MODE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()',
        );
        assert.equal(modes.length, 2);
        for (const r of modes) assert.doesNotMatch(String(r.m), /IGNORE_SPACE/);
      } finally {
        await other.drop();
      }
    } finally {
      await db.drop();
    }
  });
});

describe('MySQL: dbdoctor sql prints a script the mysql client runs', () => {
  const client = mysqlCli();
  it('procedure and trigger bodies come between DELIMITER lines; the client makes every object and row', {
    skip: client === null ? 'no mysql or mariadb client on this machine' : false,
  }, async () => {
    const db = await createTestDatabase('mysql');
    try {
      const dir = writeMigrations(db.dir, {
        '001_a.sql': sqlMigration(
          [
            'CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20));',
            'DELIMITER $$',
            'CREATE PROCEDURE p1(p_a INT)',
            'BEGIN',
            "  IF p_a = 1 THEN INSERT INTO t VALUES (p_a, 'one'); END IF;",
            'END$$',
            'DELIMITER ;',
            'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW',
            'BEGIN',
            "  IF NEW.s IS NULL THEN SET NEW.s = 'x;y$$'; END IF;",
            'END;',
            "INSERT INTO t VALUES (2, 'it\\'s');",
            'INSERT INTO t (id) VALUES (3) -- a trailing comment',
            ';',
            'CREATE TABLE u (id INT) # another',
            ';',
            // Under NO_BACKSLASH_ESCAPES '\\' is a whole string: the body holds two statements.
            "SET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');",
            'DELIMITER //',
            "CREATE PROCEDURE p2() BEGIN SELECT '\\'; SELECT 1; END//",
            'DELIMITER ;',
          ].join('\n'),
        ),
      });
      const printed = await cli(['sql', '--url', db.url, '--dir', dir]);
      assert.equal(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /DELIMITER \$\$\$\nCREATE TRIGGER/);
      const u = new URL(db.url);
      execFileSync(
        client as string,
        [
          '-h',
          u.hostname,
          '-P',
          u.port || '3306',
          '-u',
          decodeURIComponent(u.username) || 'root',
          u.pathname.slice(1),
        ],
        { input: printed.stdout },
      );
      assert.deepEqual(await rawQuery(db, 'SELECT id, s FROM t ORDER BY id'), [
        { id: 2, s: "it's" },
        { id: 3, s: 'x;y$$' },
      ]);
      const routines = await rawQuery(
        db,
        'SELECT ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME',
      );
      assert.deepEqual(routines, [{ n: 'p1' }, { n: 'p2' }]);
      assert.ok((await tableNames(db)).includes('u'));
    } finally {
      await db.drop();
    }
  });
});

describe('MySQL: LOCK TABLES in a migration (a mysqldump data section)', () => {
  it('is refused before anything runs (lock-tables), since no progress could be recorded under it', async () => {
    const db = await createTestDatabase('mysql');
    try {
      const dir = writeMigrations(db.dir, {
        '001_t.sql': sqlMigration('CREATE TABLE t (id INT PRIMARY KEY);'),
        '002_data.sql': sqlMigration(
          'LOCK TABLES `t` WRITE;\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;\nINSERT INTO `t` VALUES (1),(2);\n/*!40000 ALTER TABLE `t` ENABLE KEYS */;\nUNLOCK TABLES;',
        ),
      });
      const lint = await cli(['lint', '--json', '--url', db.url, '--dir', dir]);
      const ids = lint
        .json<{ findings: { id: string; severity: string }[] }>()
        .findings.map((f) => `${f.severity} ${f.id}`);
      assert.ok(ids.includes('error lock-tables'), ids.join(', '));
      const r = await cli(['apply', '--url', db.url, '--dir', dir]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /LINT_FAILED[\s\S]*lock-tables/);
      // FLUSH TABLES … WITH READ LOCK locks the tables for the session the same way.
      const flush = writeMigrations(
        db.dir,
        { '001_f.sql': sqlMigration('FLUSH TABLES t WITH READ LOCK;\nUNLOCK TABLES;') },
        'flush',
      );
      const f = await cli([
        'lint',
        '--json',
        '--url',
        db.url,
        '--dir',
        flush,
        '--history-table',
        'flush_history',
      ]);
      assert.ok(
        f.json<{ findings: { id: string }[] }>().findings.some((x) => x.id === 'lock-tables'),
        f.stdout,
      );
      // Nothing of the migrations ran (only the lock's own table, which apply takes first, exists).
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor_')),
        [],
      );
      assert.deepEqual(
        await rawQuery(
          db,
          "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'dbdoctor_migrations'",
        ).then((rows) => Number(rows[0]?.n)),
        0,
      );
    } finally {
      await db.drop();
    }
  });
});
