import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DoctorResult, doctor } from '../../src/doctor/doctor.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  DIALECTS,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';

/**
 * The cases' SQL, per dialect where it must be said differently. MySQL cannot key a TEXT column
 * (VARCHAR it can), quotes names with backticks, and refuses ON DELETE SET NULL on a NOT NULL
 * column, so its hand-made FK change is another action; every assertion stays the same, only
 * the names the dialect gives the types it stores differ.
 */
interface Statements {
  accounts: string;
  posts: string;
  tags: string;
  /** The accounts and posts tables built by hand with five differences from revision 002. */
  handMade: string;
  /** How the dialect names the types of accounts.age: in the migrations, by hand. */
  ageTypes: [string, string];
  /** The hand-made foreign key action, as drift messages print it. */
  handMadeAction: string;
  /** `name` quoted as an identifier. */
  quote(name: string): string;
}

const COMMON: Statements = {
  accounts: `CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  age INTEGER,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);`,
  posts: `CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_account ON posts (account_id);`,
  tags: 'CREATE TABLE tags (name TEXT PRIMARY KEY, post_id INTEGER REFERENCES posts (id));',
  handMade: `CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, age TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
         CREATE UNIQUE INDEX accounts_email ON accounts (email);
         CREATE INDEX accounts_age ON accounts (age);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE SET NULL, title TEXT NOT NULL);`,
  ageTypes: ['integer', 'text'],
  handMadeAction: 'SET NULL',
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
};

const STATEMENTS: Record<TestDialect, Statements> = {
  sqlite: COMMON,
  postgres: COMMON,
  mysql: {
    ...COMMON,
    accounts: COMMON.accounts.replace('email TEXT', 'email VARCHAR(255)'),
    tags: COMMON.tags.replace('name TEXT', 'name VARCHAR(100)'),
    handMade: `CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(255), age VARCHAR(20), created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
         CREATE UNIQUE INDEX accounts_email ON accounts (email);
         CREATE INDEX accounts_age ON accounts (age);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION, title TEXT NOT NULL);`,
    ageTypes: ['int', 'varchar\\(20\\)'],
    handMadeAction: 'NO ACTION',
    quote: (name) => `\`${name.replaceAll('`', '``')}\``,
  },
};

for (const dialect of DIALECTS) {
  describe(`doctor on ${dialect}`, () => {
    const { accounts: ACCOUNTS, posts: POSTS, tags: TAGS, ...sql } = STATEMENTS[dialect];
    const PROJECT = {
      '001_accounts.sql': sqlMigration(ACCOUNTS, 'DROP TABLE accounts;'),
      '002_posts.sql': sqlMigration(POSTS, 'DROP TABLE posts;'),
      '003_tags.sql': sqlMigration(TAGS, 'DROP TABLE tags;'),
    };
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });
    const doctorJson = async (...args: string[]) => {
      const r = await run('doctor', '--json', ...args);
      return { code: r.code, result: r.json<DoctorResult>(), stderr: r.stderr };
    };

    before(async () => {
      dir = '';
    });

    /** A fresh database and project for each scenario. */
    async function fresh(files: Record<string, string> = PROJECT): Promise<void> {
      if (db) await db.drop();
      db = await createTestDatabase(dialect);
      dir = writeMigrations(db.dir, files);
    }
    after(() => db?.drop());

    it('an empty database with pending migrations is ok, matches nothing, and lists the pending ones', async () => {
      await fresh();
      if (dialect === 'sqlite') await rawExec(db, 'SELECT 1');
      const { code, result } = await doctorJson();
      assert.equal(code, 0);
      assert.equal(result.ok, true);
      assert.equal(result.revision, null);
      assert.equal(result.matches, null);
      const pending = result.findings.find((f) => f.code === 'PENDING_MIGRATIONS');
      assert.equal(pending?.severity, 'warning');
      assert.match(pending!.message, /001, 002, 003/);
    });

    it('a freshly migrated database has no drift and matches its revision', async () => {
      assert.equal((await run('apply')).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 0);
      assert.equal(result.ok, true);
      assert.equal(result.revision, '003');
      assert.equal(result.matches, '003');
      assert.deepEqual(result.drift, []);
      assert.deepEqual(
        result.findings.filter((f) => f.severity !== 'info'),
        [],
      );
    });

    it('a second doctor on an unchanged project replays nothing; a new migration invalidates the cache', async () => {
      const first = await doctorJson();
      assert.equal(first.result.cached, true);
      assert.doesNotMatch(first.stderr, /replaying/);
      writeMigrations(db.dir, {
        '004_noop.sql': sqlMigration('CREATE TABLE noop (id INTEGER);', 'DROP TABLE noop;'),
      });
      const second = await doctorJson();
      assert.equal(second.result.cached, false);
      assert.match(second.stderr, /replaying 004/);
      fs.rmSync(path.join(dir, '004_noop.sql'));
      const again = await doctorJson('--no-cache');
      assert.equal(again.result.cached, false);
      assert.equal(again.result.ok, true);
    });

    it('report 000: a table of migration N exists but history says N-1; --fix stamps N, then apply continues', async () => {
      await fresh();
      assert.equal((await run('apply', '--to', '002')).code, 0);
      await rawExec(db, TAGS);
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.ok, false);
      assert.equal(result.revision, '002');
      assert.equal(result.matches, '003');
      const mismatch = result.findings.find((f) => f.code === 'REVISION_MISMATCH');
      assert.equal(mismatch?.severity, 'error');
      assert.match(mismatch!.message, /history says revision 002, but the schema matches revision 003/);
      // The suggested command repeats the --dir and --url this run was given.
      assert.equal(mismatch!.fix, `dbdoctor stamp 003 --dir ${dir} --url ${db.url}`);
      // 003 is pending in the history, but its table is there: never "apply" it (it would fail
      // half-way, or worse); the pending finding says to stamp first.
      const pending = result.findings.find((f) => f.code === 'PENDING_MIGRATIONS');
      assert.match(pending!.message, /the schema shows 003 ran already/);
      assert.equal(
        pending!.fix,
        `\`dbdoctor stamp 003 --dir ${dir} --url ${db.url}\` first (never apply it again)`,
      );

      const fixed = await doctorJson('--fix');
      assert.equal(fixed.code, 0, JSON.stringify(fixed.result.findings));
      assert.equal(fixed.result.revision, '003');
      assert.equal(fixed.result.fixed[0]!.code, 'REVISION_MISMATCH');
      assert.match(fixed.result.fixed[0]!.action, /Stamped the history at 003 \(was 002\): recorded 003/);
      const rows = await rawQuery(db, "SELECT id, status FROM dbdoctor_migrations WHERE id = '003'");
      assert.deepEqual(rows, [{ id: '003', status: 'stamped' }]);

      writeMigrations(db.dir, {
        '004_more.sql': sqlMigration(
          'ALTER TABLE tags ADD COLUMN color TEXT;',
          'ALTER TABLE tags DROP COLUMN color;',
        ),
      });
      const applied = await run('apply', '--json');
      assert.equal(applied.code, 0, applied.stderr);
      assert.deepEqual(
        applied.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['004'],
      );
      const after = await doctorJson();
      assert.equal(after.result.ok, true);
      assert.equal(after.result.matches, '004');
    });

    it('report 004: tables exist with no history at all; doctor finds the revision and --fix baselines there', async () => {
      await fresh();
      await rawExec(db, `${ACCOUNTS}\n${POSTS}`);
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.revision, null);
      assert.equal(result.matches, '002');
      const finding = result.findings.find((f) => f.code === 'NO_HISTORY');
      assert.match(finding!.message, /no migration history; its schema matches revision 002 exactly/);
      assert.equal(finding!.fix, `dbdoctor stamp 002 --dir ${dir} --url ${db.url}`);

      const fixed = await doctorJson('--fix');
      assert.equal(fixed.code, 0);
      assert.equal(fixed.result.revision, '002');
      assert.equal(fixed.result.fixed[0]!.code, 'NO_HISTORY');
      const status = (await run('status', '--json')).json<{ current: string; pending: { id: string }[] }>();
      assert.equal(status.current, '002');
      assert.deepEqual(
        status.pending.map((p) => p.id),
        ['003'],
      );
      assert.equal((await run('apply')).code, 0);
    });

    it('a column added by hand is named as drift, exits 1, and --fix leaves it alone', async () => {
      await fresh();
      assert.equal((await run('apply')).code, 0);
      await rawExec(db, 'ALTER TABLE accounts ADD COLUMN nickname TEXT');
      await rawExec(db, "INSERT INTO accounts (id, email, nickname) VALUES (1, 'a@example.com', 'al')");
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.matches, null);
      assert.equal(result.nearest, '003');
      const drift = result.findings.filter((f) => f.code === 'SCHEMA_DRIFT');
      assert.equal(drift.length, 1);
      assert.equal(drift[0]!.table, 'accounts');
      assert.match(
        drift[0]!.message,
        /Column accounts\.nickname \(text NULL\) is in the database but not in the migrations at 003/,
      );
      assert.deepEqual(
        result.drift.map((c) => [c.kind, c.table, c.name]),
        [['column_extra', 'accounts', 'nickname']],
      );

      const fixed = await doctorJson('--fix');
      assert.equal(fixed.code, 1);
      assert.deepEqual(fixed.result.fixed, []);
      const rows = await rawQuery(db, 'SELECT nickname FROM accounts');
      assert.deepEqual(rows, [{ nickname: 'al' }]);
      const text = await run('doctor');
      assert.equal(text.code, 1);
      assert.match(text.stdout, /error \[SCHEMA_DRIFT\] Table accounts differs/);
      assert.match(text.stdout, /fix: Write a migration/);
    });

    it('type, nullability, missing index, extra index and a changed FK action are each named precisely', async () => {
      await fresh();
      // The same tables built by hand with five differences, then recorded at 002.
      await rawExec(db, sql.handMade);
      assert.equal((await run('stamp', '002')).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      const kinds = result.drift.map((c) => `${c.kind} ${c.table}.${c.name}`).sort();
      assert.deepEqual(kinds, [
        'column_nullability accounts.email',
        'column_type accounts.age',
        `foreign_key_action posts.(account_id) -> accounts(id)`,
        'index_extra accounts.accounts_age',
        'index_missing posts.posts_account',
      ]);
      const messages = result.drift.map((c) => c.message).join('\n');
      assert.match(
        messages,
        new RegExp(
          `Column accounts\\.age has type ${sql.ageTypes[0]} in the migrations at 002 but ${sql.ageTypes[1]} in the database`,
        ),
      );
      assert.match(
        messages,
        /Column accounts\.email is NOT NULL in the migrations at 002 but nullable in the database/,
      );
      assert.match(
        messages,
        /Index posts_account \(account_id\) on posts is in the migrations at 002 but not in the database/,
      );
      assert.match(
        messages,
        /Index accounts_age \(age\) on accounts is in the database but not in the migrations at 002/,
      );
      assert.match(
        messages,
        new RegExp(
          `has ON DELETE CASCADE in the migrations at 002 but ON DELETE ${sql.handMadeAction} in the database`,
        ),
      );
    });

    it('an applied migration edited on disk and one deleted are errors with their fix', async () => {
      await fresh();
      assert.equal((await run('apply')).code, 0);
      fs.appendFileSync(path.join(dir, '002_posts.sql'), '\n-- edited\n');
      fs.rmSync(path.join(dir, '003_tags.sql'));
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      const codes = result.findings.map((f) => f.code);
      assert.ok(codes.includes('CHECKSUM_MISMATCH'), codes.join());
      assert.ok(codes.includes('MISSING_FILE'), codes.join());
      assert.match(
        result.findings.find((f) => f.code === 'CHECKSUM_MISMATCH')!.fix!,
        /resolve 002 --accept-checksum/,
      );
    });

    it('a pending migration that fails on an empty database is its own finding; the live schema still matches the last applied revision', async () => {
      await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_broken.sql': sqlMigration('ALTER TABLE missing_table ADD COLUMN x INTEGER;'),
      });
      assert.equal((await run('apply', '--to', '001')).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 0, JSON.stringify(result.findings));
      assert.equal(result.matches, '001');
      assert.equal(result.revision, '001');
      const f = result.findings.find((x) => x.code === 'REPLAY_FAILED');
      assert.equal(f?.severity, 'warning');
      assert.equal(f?.id, '002');
      assert.match(f!.message, /002_broken fails when replayed on an empty database.*not applied yet/s);
    });

    it('an applied migration that fails on an empty database leaves the schema unverifiable: REPLAY_FAILED is an error', async () => {
      await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_needs_history.sql': sqlMigration('ALTER TABLE made_by_hand ADD COLUMN x INTEGER;'),
      });
      await rawExec(db, 'CREATE TABLE made_by_hand (id INTEGER);');
      assert.equal((await run('apply')).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.matches, null);
      const f = result.findings.find((x) => x.code === 'REPLAY_FAILED');
      assert.equal(f?.severity, 'error');
      assert.equal(f?.id, '002');
    });

    it('the library doctor() matches the CLI and never prints', async () => {
      await fresh();
      assert.equal((await run('apply')).code, 0);
      const result = await doctor({ database: db.url, dir, cacheDir: false });
      assert.equal(result.ok, true);
      assert.equal(result.matches, '003');
      assert.equal(result.cached, false);
    });

    if (dialect === 'sqlite') {
      it('SQLite: foreign key violations, a stale lock, and the journal mode are reported; --fix clears only the lock', async () => {
        await fresh();
        assert.equal((await run('apply')).code, 0);
        await rawExec(
          db,
          `PRAGMA foreign_keys = OFF; INSERT INTO posts (id, account_id, title) VALUES (1, 999, 'orphan');
           INSERT INTO dbdoctor_migrations_lock (name, host, pid, token, acquired_at, heartbeat_at)
           VALUES ('migrate', '${(await import('node:os')).hostname()}', 999999, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');`,
        );
        const { code, result } = await doctorJson();
        assert.equal(code, 1);
        const byCode = new Map(result.findings.map((f) => [f.code, f]));
        assert.match(
          byCode.get('FOREIGN_KEY_VIOLATIONS')!.message,
          /1 row\(s\) reference a missing parent row: posts rowid 1 -> accounts/,
        );
        assert.equal(byCode.get('LOCK_STALE')?.severity, 'warning');
        assert.equal(byCode.get('JOURNAL_MODE')?.severity, 'info');
        const fixed = await doctorJson('--fix');
        assert.deepEqual(
          fixed.result.fixed.map((f) => f.code),
          ['LOCK_STALE'],
        );
        assert.ok(!fixed.result.findings.some((f) => f.code === 'LOCK_STALE'));
        assert.deepEqual(await rawQuery(db, 'SELECT count(*) AS n FROM posts'), [{ n: 1 }]);
      });

      it('SQLite: --fix with a revision to stamp and a stale lock stamps first, the stamp taking the lock over', async () => {
        await fresh();
        assert.equal((await run('apply', '--to', '002')).code, 0);
        await rawExec(
          db,
          `${TAGS}
           INSERT INTO dbdoctor_migrations_lock (name, host, pid, token, acquired_at, heartbeat_at)
           VALUES ('migrate', '${(await import('node:os')).hostname()}', 999999, 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');`,
        );
        const fixed = await doctorJson('--fix');
        assert.equal(fixed.code, 0, JSON.stringify(fixed.result.findings));
        assert.deepEqual(fixed.result.fixed, [
          {
            code: 'REVISION_MISMATCH',
            action: 'Stamped the history at 003 (was 002): recorded 003, without running anything.',
          },
          {
            code: 'LOCK_STALE',
            action: 'Took over and removed the migration lock left by a process that is gone.',
          },
        ]);
        assert.ok(!fixed.result.findings.some((f) => f.code === 'LOCK_STALE'));
        assert.deepEqual(await rawQuery(db, 'SELECT count(*) AS n FROM dbdoctor_migrations_lock'), [
          { n: 0 },
        ]);
      });

      it('doctor on a SQLite file that does not exist fails clearly and creates nothing', async () => {
        await fresh();
        const r = await run('doctor');
        assert.equal(r.code, 1);
        assert.match(r.stderr, /does not exist/);
        assert.ok(!fs.existsSync(db.url.slice('sqlite:'.length)));
      });
    }
    if (dialect === 'postgres') {
      it('PostgreSQL: an invalid index left by a failed CREATE INDEX CONCURRENTLY is reported with its fix', async () => {
        await fresh();
        assert.equal((await run('apply')).code, 0);
        await rawExec(db, "INSERT INTO accounts (id, email, age) VALUES (1, 'a', 1), (2, 'b', 1)");
        await assert.rejects(
          rawExec(db, 'CREATE UNIQUE INDEX CONCURRENTLY accounts_age_unique ON accounts (age)'),
        );
        const { code, result } = await doctorJson();
        assert.equal(code, 1);
        const f = result.findings.find((x) => x.code === 'INVALID_INDEX');
        assert.match(f!.message, /Index accounts_age_unique on accounts is INVALID/);
        assert.match(f!.fix!, /REINDEX INDEX CONCURRENTLY "public"\."accounts_age_unique"/);
      });

      it('PostgreSQL: the scratch database is always dropped', async () => {
        const child = spawn(
          process.execPath,
          [CLI_PATH, 'doctor', '--no-cache', '--json', '--url', db.url, '--dir', dir],
          {
            cwd: db.dir,
            stdio: 'ignore',
          },
        );
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.ok(code === 0 || code === 1);
        const rows = await rawQuery(db, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
          `dbdoctor\\_scratch\\_${child.pid}\\_%`,
        ]);
        assert.deepEqual(rows, []);
      });
    }

    it('hostile table, column and index names are introspected literally and show no drift', async () => {
      const table = `we"ird; DROP TABLE accounts; --`;
      const q = sql.quote;
      await fresh({
        '001_hostile.sql': sqlMigration(
          `CREATE TABLE ${q(table)} (${q('a"b')} INTEGER PRIMARY KEY, ${q("it's")} TEXT);\nCREATE INDEX ${q('ix"1')} ON ${q(table)} (${q("it's")});`,
        ),
      });
      assert.equal((await run('apply')).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 0, JSON.stringify(result.findings));
      assert.equal(result.matches, '001');
      const json = (await run('schema', '--json')).json<{
        tables: Record<string, { columns: { name: string }[]; indexes: { name: string }[] }>;
      }>();
      assert.deepEqual(Object.keys(json.tables), [table]);
      assert.deepEqual(
        json.tables[table]!.columns.map((c) => c.name),
        ['a"b', "it's"],
      );
      assert.deepEqual(
        json.tables[table]!.indexes.map((i) => i.name),
        ['ix"1'],
      );
    });

    it('schema prints text, JSON and a Mermaid ER diagram; a bad format is bad usage', async () => {
      await fresh();
      assert.equal((await run('apply')).code, 0);
      const text = await run('schema');
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^posts$/m);
      assert.match(text.stdout, /FOREIGN KEY \(account_id\) -> accounts \(id\) ON DELETE CASCADE/);
      assert.doesNotMatch(text.stdout, /dbdoctor_migrations/);
      const json = (await run('schema', '--format', 'json')).json<{ tables: Record<string, unknown> }>();
      assert.deepEqual(Object.keys(json.tables), ['accounts', 'posts', 'tags']);
      const mermaid = await run('schema', '--format', 'mermaid');
      assert.match(mermaid.stdout, /^erDiagram$/m);
      assert.match(mermaid.stdout, /accounts \|\|--o\{ posts : "account_id"/);
      assert.match(mermaid.stdout, /posts \|o--o\{ tags : "post_id"/);
      const bad = await run('schema', '--format', 'png');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /Unknown --format "png"/);
    });
  });
}
