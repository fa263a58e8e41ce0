import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { DoctorResult } from '../../src/doctor/doctor.js';
import {
  CLI_PATH,
  cli,
  createTestDatabase,
  DIALECTS,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';

const ACCOUNTS = `CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  age INTEGER,
  created_at TIMESTAMP
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);`;

/**
 * The cases' SQL where a dialect must say it differently: MySQL cannot key a TEXT column
 * (VARCHAR it can) and quotes names with backticks. Only the spelling differs, never what a
 * case asserts.
 */
interface Statements {
  accounts: string;
  /** The type of a text key column. */
  textKey: string;
  /** `name` quoted as an identifier. */
  quote(name: string): string;
}

const COMMON: Statements = {
  accounts: ACCOUNTS,
  textKey: 'TEXT',
  quote: (name) => `"${name.replaceAll('"', '""')}"`,
};

const STATEMENTS: Record<TestDialect, Statements> = {
  sqlite: COMMON,
  postgres: COMMON,
  mysql: {
    accounts: ACCOUNTS.replace('email TEXT', 'email VARCHAR(255)'),
    textKey: 'VARCHAR(100)',
    quote: (name) => `\`${name.replaceAll('`', '``')}\``,
  },
};

for (const dialect of DIALECTS) {
  describe(`doctor tells the truth on ${dialect}`, () => {
    const { accounts: ACCOUNTS, textKey, quote } = STATEMENTS[dialect];
    let db: TestDatabase | undefined;
    let dir = '';
    const run = (...args: string[]) => cli([...args, '--url', db!.url, '--dir', dir], { cwd: db!.dir });
    const doctorJson = async (...args: string[]) => {
      const r = await run('doctor', '--json', ...args);
      return { code: r.code, result: r.json<DoctorResult>(), stderr: r.stderr };
    };
    async function fresh(files: Record<string, string>): Promise<TestDatabase> {
      if (db) await db.drop();
      db = await createTestDatabase(dialect);
      dir = writeMigrations(db.dir, files);
      return db;
    }
    after(() => db?.drop());

    // Section 3: the nearest revision by differing properties.
    it('a database without history whose table differs by one column is nearest to the revision that creates it, never "stamp base"', async () => {
      const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
      await rawExec(d, ACCOUNTS.replace('age INTEGER', 'age TEXT'));
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.matches, null);
      assert.equal(result.nearest, '001');
      const noHistory = result.findings.find((f) => f.code === 'NO_HISTORY');
      assert.match(noHistory!.message, /the closest is 001 \(1 object\(s\) and properties differ\)/);
      assert.doesNotMatch(JSON.stringify(result.findings), /stamp base/);
    });

    it('a database of tables the migrations never made is not advised "stamp base"', async () => {
      const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
      await rawExec(d, 'CREATE TABLE unrelated (id INTEGER PRIMARY KEY, x TEXT);');
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      const noHistory = result.findings.find((f) => f.code === 'NO_HISTORY');
      assert.match(noHistory!.message, /not made by these migrations/);
      assert.doesNotMatch(JSON.stringify(result.findings), /stamp base/);
    });

    // Section 4: revisions the schema cannot tell apart.
    it('an INSERT-only migration: the range is reported, --fix stamps the earliest and apply then inserts the row', async () => {
      const d = await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_service_user.sql': sqlMigration(
          "INSERT INTO accounts (id, email) VALUES (1, 'service@example.com');",
        ),
      });
      await rawExec(d, ACCOUNTS);
      const { code, result } = await doctorJson();
      assert.equal(code, 1);
      assert.equal(result.matches, '002');
      assert.deepEqual(result.matchesRange, { from: '001', to: '002' });
      const ambiguous = result.findings.find((f) => f.code === 'AMBIGUOUS_REVISION');
      assert.match(ambiguous!.message, /cannot tell 001\.\.002 apart: 002 changes no schema/);
      assert.equal(
        result.findings.find((f) => f.code === 'NO_HISTORY')?.fix,
        `dbdoctor stamp 001 --dir ${dir} --url ${db!.url}`,
      );
      const text = await run('doctor');
      assert.match(text.stdout, /matches: {3}001\.\.002/);

      const fixed = await doctorJson('--fix');
      assert.match(
        fixed.result.fixed[0]!.action,
        /Stamped the history at 001 .*whether 002 ran cannot be seen/,
      );
      assert.deepEqual(
        (await rawQuery(d, 'SELECT id FROM dbdoctor_migrations ORDER BY id')).map((r) => r.id),
        ['001'],
      );
      assert.equal((await run('apply')).code, 0);
      assert.deepEqual(await rawQuery(d, 'SELECT email FROM accounts'), [{ email: 'service@example.com' }]);
    });

    it('--fix --to stamps a later revision of the range when told; --to outside it is refused', async () => {
      const d = await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_service_user.sql': sqlMigration("INSERT INTO accounts (id, email) VALUES (1, 's@example.com');"),
      });
      await rawExec(d, `${ACCOUNTS}\nINSERT INTO accounts (id, email) VALUES (1, 's@example.com');`);
      const outside = await run('doctor', '--fix', '--to', '003');
      assert.equal(outside.code, 2, outside.stderr);
      assert.match(outside.stderr, /does not match revision 003 \(it matches 001, 002\)/);
      assert.equal((await run('doctor', '--to', '002')).code, 2);
      const fixed = await doctorJson('--fix', '--to', '002');
      assert.equal(fixed.code, 0, JSON.stringify(fixed.result.findings));
      assert.equal(fixed.result.revision, '002');
    });

    it('a pair of migrations that undo each other: the range names why, --fix stamps the earliest', async () => {
      const d = await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_add.sql': sqlMigration('ALTER TABLE accounts ADD COLUMN nickname TEXT;'),
        '003_drop.sql': sqlMigration('ALTER TABLE accounts DROP COLUMN nickname;'),
      });
      await rawExec(d, ACCOUNTS);
      const { result } = await doctorJson();
      assert.deepEqual(result.matchesRange, { from: '001', to: '003' });
      const ambiguous = result.findings.find((f) => f.code === 'AMBIGUOUS_REVISION');
      assert.match(ambiguous!.message, /002 changes the schema and a later migration undoes it; 003 undoes/);
      const fixed = await doctorJson('--fix');
      assert.equal(fixed.result.revision, '001');
      assert.equal((await run('apply')).code, 0);
    });

    it('--fix never stamps over a PARTIALLY_APPLIED migration', async () => {
      const d = await fresh({
        '001_accounts.sql': sqlMigration(ACCOUNTS),
        '002_tags.sql': sqlMigration(`CREATE TABLE tags (name ${textKey} PRIMARY KEY);`),
        '003_more.sql': sqlMigration('CREATE TABLE more (id INTEGER);'),
      });
      assert.equal((await run('apply', '--to', '002')).code, 0);
      await rawExec(
        d,
        "CREATE TABLE more (id INTEGER); UPDATE dbdoctor_migrations SET status = 'started' WHERE id = '002';",
      );
      const fixed = await doctorJson('--fix');
      assert.deepEqual(fixed.result.fixed, []);
      assert.match(
        fixed.result.findings.find((f) => f.code === 'FIX_REFUSED')!.message,
        /PARTIALLY_APPLIED 002/,
      );
      assert.deepEqual((await rawQuery(d, "SELECT id FROM dbdoctor_migrations WHERE id = '003'")).length, 0);
    });

    // Section 6: objects that are not the user's.
    it("other tools' history tables are not drift", async () => {
      const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
      assert.equal((await run('apply')).code, 0);
      await rawExec(
        d,
        [
          `schema_migrations (version ${textKey} PRIMARY KEY)`,
          `_prisma_migrations (id ${textKey} PRIMARY KEY)`,
          '__drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT)',
          'knex_migrations (id INTEGER PRIMARY KEY)',
          `knex_migrations_lock (${quote('index')} INTEGER PRIMARY KEY)`,
          `alembic_version (version_num ${textKey} PRIMARY KEY)`,
          'flyway_schema_history (installed_rank INTEGER PRIMARY KEY)',
          'goose_db_version (id INTEGER PRIMARY KEY)',
          '_sqlx_migrations (version BIGINT PRIMARY KEY)',
        ]
          .map((t) => `CREATE TABLE ${t};`)
          .join('\n'),
      );
      const { code, result } = await doctorJson();
      assert.equal(code, 0, JSON.stringify(result.findings));
      assert.equal(result.matches, '001');
    });

    it('`sessions install` then the project’s own doctor says ok', async () => {
      const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
      assert.equal((await run('apply')).code, 0);
      assert.equal((await cli(['sessions', 'install', '--url', d.url], { cwd: d.dir })).code, 0);
      const { code, result } = await doctorJson();
      assert.equal(code, 0, JSON.stringify(result.findings));
      assert.equal(result.matches, '001');
    });

    it('tables named in the config `ignore` list (names and globs) are not drift; others still are', async () => {
      const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
      assert.equal((await run('apply')).code, 0);
      await rawExec(d, 'CREATE TABLE legacy_audit (id INTEGER); CREATE TABLE tmp_import (id INTEGER);');
      assert.equal((await doctorJson()).code, 1);
      fs.writeFileSync(
        path.join(d.dir, 'dbdoctor.config.json'),
        JSON.stringify({ ignore: ['legacy_audit', 'tmp_*'] }),
      );
      const { code, result } = await doctorJson();
      assert.equal(code, 0, JSON.stringify(result.findings));
      await rawExec(d, 'CREATE TABLE surprise (id INTEGER);');
      const drift = await doctorJson();
      assert.equal(drift.code, 1);
      assert.deepEqual(
        drift.result.findings.filter((f) => f.code === 'SCHEMA_DRIFT').map((f) => f.table),
        ['surprise'],
      );
    });

    if (dialect === 'postgres') {
      it('PostgreSQL: objects of extensions (pg_stat_statements, pg_trgm) are not drift', async () => {
        const d = await fresh({ '001_accounts.sql': sqlMigration(ACCOUNTS) });
        assert.equal((await run('apply')).code, 0);
        await rawExec(d, 'CREATE EXTENSION pg_stat_statements; CREATE EXTENSION pg_trgm;');
        const { code, result } = await doctorJson('--no-cache');
        assert.equal(code, 0, JSON.stringify(result.findings));
        assert.equal(result.matches, '001');
      });
    }
  });
}

/** A scratch database of the doctor process `pid`, if it exists. */
async function scratchOf(db: TestDatabase, pid: number | undefined): Promise<string[]> {
  const rows = await rawQuery(db, 'SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `dbdoctor\\_scratch\\_${pid}\\_%`,
  ]);
  return rows.map((r) => String(r.datname));
}

/** Starts `dbdoctor doctor` and resolves once stderr shows `line`. */
function startDoctor(db: TestDatabase, dir: string, line: RegExp) {
  const child = spawn(
    process.execPath,
    [CLI_PATH, 'doctor', '--no-cache', '--json', '--url', db.url, '--dir', dir],
    {
      cwd: db.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const reached = new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (line.test(stderr)) resolve();
    });
    void closed.then(() => reject(new Error(`doctor ended before ${line}: ${stderr}`)));
  });
  child.stdout.resume();
  return { child, closed, reached };
}

describe('PostgreSQL: the replay never touches the live server', onlyOn('postgres'), () => {
  const dbs: TestDatabase[] = [];
  const roles: string[] = [];
  after(async () => {
    for (const d of dbs) await d.drop();
  });
  after(async () => {
    const d = await createTestDatabase('postgres');
    for (const r of roles) await rawExec(d, `DROP ROLE IF EXISTS ${r}`);
    await d.drop();
  });

  it('ALTER ROLE, CREATE ROLE and ALTER DATABASE in a migration change nothing on the live cluster; each skipped statement is named', async () => {
    const d = await createTestDatabase('postgres');
    dbs.push(d);
    const role = `dbdoctor_t_${randomBytes(4).toString('hex')}`;
    roles.push(role);
    await rawExec(
      d,
      `CREATE ROLE ${role} LOGIN PASSWORD 'rotated-secret'; ALTER ROLE ${role} SET work_mem = '64kB';`,
    );
    const dbName = new URL(d.url).pathname.slice(1);
    const dir = writeMigrations(d.dir, {
      '001_accounts.sql': sqlMigration(ACCOUNTS),
      '002_roles.sql': sqlMigration(
        `CREATE ROLE ${role};\nALTER ROLE ${role} PASSWORD 'from-the-migration';\nALTER ROLE ${role} SET work_mem = '1MB';\nALTER DATABASE ${dbName} SET statement_timeout = '5s';\nGRANT SELECT ON accounts TO ${role};\nCREATE TABLE after_roles (id INTEGER);`,
      ),
    });
    const state = async () => ({
      role: await rawQuery(d, 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]),
      settings: await rawQuery(
        d,
        'SELECT setrole::regrole::text AS r, setdatabase, setconfig FROM pg_db_role_setting ORDER BY 1, 2',
      ),
    });
    const before = await state();
    const r = await cli(['apply', '--to', '001', '--url', d.url, '--dir', dir], { cwd: d.dir });
    assert.equal(r.code, 0, r.stderr);
    const doc = await cli(['doctor', '--no-cache', '--json', '--url', d.url, '--dir', dir], { cwd: d.dir });
    const result = doc.json<DoctorResult>();
    assert.deepEqual(await state(), before);
    assert.equal(doc.code, 0, JSON.stringify(result.findings));
    assert.equal(result.matches, '001');
    const skipped = result.findings
      .filter((f) => f.code === 'REPLAY_SKIPPED_STATEMENT')
      .map((f) => f.message);
    assert.equal(skipped.length, 4, skipped.join('\n'));
    assert.match(skipped[0]!, new RegExp(`CREATE ROLE ${role}.*roles are shared by the whole cluster`));
    assert.match(skipped[1]!, /ALTER ROLE .* PASSWORD/);
    assert.match(skipped[3]!, /ALTER DATABASE .*another database of the cluster/);
    assert.doesNotMatch(doc.stdout, /from-the-migration|rotated-secret/);
  });

  it('--scratch-url of another kind of database is bad usage; a scratch server replays there', async () => {
    const d = await createTestDatabase('postgres');
    dbs.push(d);
    const dir = writeMigrations(d.dir, { '001_accounts.sql': sqlMigration(ACCOUNTS) });
    const bad = await cli(['doctor', '--url', d.url, '--dir', dir, '--scratch-url', 'sqlite::memory:'], {
      cwd: d.dir,
    });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--scratch-url names a sqlite database/);
    const ok = await cli(
      ['doctor', '--json', '--no-cache', '--url', d.url, '--dir', dir, '--scratch-url', d.url],
      {
        cwd: d.dir,
      },
    );
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('SIGINT drops the scratch database; a doctor running beside another never drops its scratch database', async () => {
    const d = await createTestDatabase('postgres');
    dbs.push(d);
    const dir = writeMigrations(d.dir, {
      '001_accounts.sql': sqlMigration(ACCOUNTS),
      '002_slow.sql': sqlMigration('SELECT pg_sleep(600);'),
    });
    const slow = startDoctor(d, dir, /replaying 002/);
    await slow.reached;
    assert.equal((await scratchOf(d, slow.child.pid)).length, 1);
    // Another doctor meanwhile (another project on the same server) leaves the live one's scratch database alone.
    const other = await createTestDatabase('postgres');
    dbs.push(other);
    const otherDir = writeMigrations(other.dir, { '001_accounts.sql': sqlMigration(ACCOUNTS) });
    assert.equal(
      (await cli(['doctor', '--no-cache', '--url', other.url, '--dir', otherDir], { cwd: other.dir })).code,
      0,
    );
    assert.equal((await scratchOf(d, slow.child.pid)).length, 1);

    slow.child.kill('SIGINT');
    const end = await slow.closed;
    assert.equal(end.signal, 'SIGINT');
    assert.deepEqual(await scratchOf(d, slow.child.pid), []);
  });

  it('SIGTERM drops the scratch database too', async () => {
    const d = await createTestDatabase('postgres');
    dbs.push(d);
    const dir = writeMigrations(d.dir, { '001_slow.sql': sqlMigration('SELECT pg_sleep(600);') });
    const slow = startDoctor(d, dir, /replaying 001/);
    await slow.reached;
    slow.child.kill('SIGTERM');
    assert.equal((await slow.closed).signal, 'SIGTERM');
    assert.deepEqual(await scratchOf(d, slow.child.pid), []);
  });

  it('a SIGKILLed doctor leaves its scratch database; the next doctor removes it and says so', async () => {
    const d = await createTestDatabase('postgres');
    dbs.push(d);
    const dir = writeMigrations(d.dir, { '001_slow.sql': sqlMigration('SELECT pg_sleep(600);') });
    const killed = startDoctor(d, dir, /replaying 001/);
    await killed.reached;
    killed.child.kill('SIGKILL');
    await killed.closed;
    const [leftover] = await scratchOf(d, killed.child.pid);
    assert.ok(leftover, 'the killed doctor could not drop its scratch database');

    writeMigrations(d.dir, { '001_slow.sql': sqlMigration(ACCOUNTS) });
    const next = await cli(['doctor', '--no-cache', '--json', '--url', d.url, '--dir', dir], { cwd: d.dir });
    assert.deepEqual(await scratchOf(d, killed.child.pid), []);
    // Test files run in parallel: another test's doctor on this server may have removed it first.
    const removed = next.json<DoctorResult>().findings.find((f) => f.code === 'SCRATCH_LEFTOVER_REMOVED');
    if (removed) assert.match(removed.message, new RegExp(`Dropped ${leftover}`));
  });
});
