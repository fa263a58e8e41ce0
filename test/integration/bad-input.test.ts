import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openConnection } from '../../src/dialects/open.js';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  quoteIdent,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

const BASE = {
  '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);', 'DROP TABLE a;'),
  '002_b.sql': sqlMigration('CREATE TABLE b (id INTEGER PRIMARY KEY);', 'DROP TABLE b;'),
};

async function historyIds(db: TestDatabase, table = 'dbdoctor_migrations'): Promise<string[]> {
  return (await rawQuery(db, `SELECT id FROM ${quoteIdent(db, table)} ORDER BY seq`)).map((r) =>
    String(r.id),
  );
}

for (const dialect of DIALECTS) {
  describe(`bad input on ${dialect}: clear error, exit 1, nothing changed`, () => {
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
    });
    afterEach(() => db.drop());

    it('a DSL operation of an unknown kind or with a missing field is refused before anything runs', async () => {
      const typo = {
        ops: [
          { kind: 'alterColum', table: 'a', column: 'id', change: { default: 1 }, from: { default: null } },
        ],
      };
      const missing = { ops: [{ kind: 'renameColumn', table: 'a', column: 'id' }] };
      for (const [file, def, message] of [
        [
          '003_typo.mjs',
          typo,
          /`ops\[0\]` is not a valid operation: `alterColum` is not an operation \(did you mean `alterColumn`\?\)/,
        ],
        ['003_missing.mjs', missing, /renameColumn: `to` must be a non-empty string/],
      ] as const) {
        dir = writeMigrations(db.dir, { ...BASE, [file]: `export default ${JSON.stringify(def)};\n` }, file);
        for (const command of [['apply'], ['lint'], ['sql'], ['apply', '--dry-run']]) {
          const r = await run(...command);
          const out = r.stdout + r.stderr; // lint reports on stdout, as a finding
          assert.equal(r.code, 1, `${command.join(' ')}: ${out}`);
          assert.match(out, command[0] === 'lint' ? /unloadable/ : /BAD_MIGRATION/);
          assert.match(out, message);
          assert.doesNotMatch(out, /INTERNAL|\n\s+at /);
        }
        assert.deepEqual(await historyIds(db).catch(() => []), [], 'nothing was applied');
      }
    });

    it('an applied migration whose file changed', async () => {
      dir = writeMigrations(db.dir, BASE, 'changed');
      assert.equal((await run('apply')).code, 0);
      fs.appendFileSync(path.join(dir, '001_a.sql'), '\n-- tampered\n');
      fs.writeFileSync(path.join(dir, '003_c.sql'), sqlMigration('CREATE TABLE c (id INTEGER);'));
      const r = await run('apply', '--json');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CHECKSUM_MISMATCH.*001_a changed after it was applied/s);
      assert.match(r.stderr, /Nothing was changed/);
      assert.match(r.stderr, /dbdoctor resolve 001 --accept-checksum/);
      assert.equal(r.json<{ ok: boolean; error: { code: string } }>().error.code, 'CHECKSUM_MISMATCH');
      assert.ok(!(await tableNames(db)).includes('c'), '003 did not run');
      const s = (await run('status', '--json')).json<{ problems: { code: string; id: string }[] }>();
      assert.deepEqual(
        s.problems.map((p) => [p.code, p.id]),
        [['CHECKSUM_MISMATCH', '001']],
      );
      // the documented fix works
      assert.equal((await run('resolve', '001', '--accept-checksum')).code, 0);
      assert.equal((await run('apply')).code, 0);
      assert.ok((await tableNames(db)).includes('c'));
    });

    it('an applied migration whose file disappeared', async () => {
      dir = writeMigrations(db.dir, BASE, 'missing');
      assert.equal((await run('apply')).code, 0);
      fs.rmSync(path.join(dir, '002_b.sql'));
      fs.writeFileSync(path.join(dir, '003_c.sql'), sqlMigration('CREATE TABLE c (id INTEGER);'));
      const r = await run('apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /MISSING_FILE/);
      assert.match(r.stderr, /002_b is recorded as applied but its file is missing/);
      assert.ok(!(await tableNames(db)).includes('c'));
      assert.equal((await run('resolve', '002', '--forget')).code, 0);
      assert.deepEqual(await historyIds(db), ['001']);
    });

    it('two files with one id, a file with no up section, an unparsable TS module', async () => {
      dir = writeMigrations(db.dir, { ...BASE, '002_dup.sql': sqlMigration('SELECT 1;') }, 'dup');
      let r = await run('apply');
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /DUPLICATE_ID.*002_b\.sql and 002_dup\.sql|DUPLICATE_ID.*002_dup\.sql and 002_b\.sql/s,
      );
      dir = writeMigrations(db.dir, { ...BASE, '003_noup.sql': 'CREATE TABLE x (id INTEGER);' }, 'noup');
      r = await run('apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /NO_UP_SECTION.*003_noup\.sql/s);
      dir = writeMigrations(
        db.dir,
        { ...BASE, '003_broken.ts': 'export default { up( { this is not typescript' },
        'badts',
      );
      r = await run('apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /BAD_MIGRATION.*003_broken\.ts/s);
      dir = writeMigrations(db.dir, { ...BASE, '003_noexport.mjs': 'export const x = 1;' }, 'noexport');
      r = await run('apply');
      assert.match(r.stderr, /no default export with an up function/);
      assert.deepEqual(
        (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
        [],
        'nothing ran in any case',
      );
    });

    it('a failing statement names the file, the statement and the database message', async () => {
      dir = writeMigrations(
        db.dir,
        {
          ...BASE,
          '003_fails.sql': sqlMigration(
            'CREATE TABLE c (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\nCREATE TABLE d (id INTEGER);',
          ),
        },
        'failing',
      );
      const r = await run('apply', '--json');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Migration 003_fails failed \(up\) at statement 2 of 3/);
      assert.match(r.stderr, /statement: INSERT INTO no_such_table VALUES \(1\)/);
      assert.match(r.stderr, /no_such_table/);
      const err = r.json<{ error: { code: string; statement: string; databaseError: string } }>().error;
      assert.match(err.databaseError, /no_such_table/);
      if (capabilitiesOf(dialect).transactionalDdl) {
        assert.match(r.stderr, /still at revision 002/);
        assert.equal(err.code, 'MIGRATION_FAILED');
        assert.ok(!(await tableNames(db)).includes('c'), 'statement 1 was rolled back with the migration');
        assert.deepEqual(await historyIds(db), ['001', '002']);
      } else {
        // DDL commits as it runs: statement 1 stays, and history says so.
        assert.match(r.stderr, /1 statement\(s\) before the failing one stayed applied.*partially applied/s);
        assert.equal(err.code, 'MIGRATION_PARTIAL');
        assert.ok((await tableNames(db)).includes('c'));
        assert.deepEqual(await historyIds(db), ['001', '002', '003']);
      }
    });

    it('a TS migration runs through tsx with no compile step, and its down too', async () => {
      dir = writeMigrations(
        db.dir,
        {
          '001_ts.ts': `
interface Ctx { sql(text: string, params?: unknown[]): Promise<void>; dialect: string }
export default {
  async up(db: Ctx): Promise<void> {
    await db.sql('CREATE TABLE from_ts (id INTEGER PRIMARY KEY, note TEXT)');
    await db.sql('INSERT INTO from_ts (id, note) VALUES (1, ' + '$1' + ')', ["it's " + db.dialect]);
  },
  async down(db: Ctx): Promise<void> { await db.sql('DROP TABLE from_ts'); },
};`,
        },
        'ts',
      );
      let r = await run('apply');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await rawQuery(db, 'SELECT note FROM from_ts'), [{ note: `it's ${dialect}` }]);
      r = await run('down');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!(await tableNames(db)).includes('from_ts'));
    });

    it('a migration without a down cannot be reverted, and nothing is reverted', async () => {
      dir = writeMigrations(
        db.dir,
        { ...BASE, '003_nodown.sql': sqlMigration('CREATE TABLE c (id INTEGER);') },
        'nodown',
      );
      assert.equal((await run('apply')).code, 0);
      const r = await run('down', '--steps', '2');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /NO_DOWN.*003_nodown/s);
      assert.deepEqual(await historyIds(db), ['001', '002', '003']);
    });

    it('an out-of-order file is reported and applied only with --allow-out-of-order', async () => {
      dir = writeMigrations(
        db.dir,
        {
          '001_a.sql': BASE['001_a.sql'],
          '003_c.sql': sqlMigration('CREATE TABLE c (id INTEGER);', 'DROP TABLE c;'),
        },
        'ooo',
      );
      assert.equal((await run('apply')).code, 0);
      fs.writeFileSync(path.join(dir, '002_b.sql'), BASE['002_b.sql']);
      let r = await run('apply');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /OUT_OF_ORDER.*002_b is not applied but is older than the applied 003/s);
      assert.ok(!(await tableNames(db)).includes('b'));
      r = await run('apply', '--allow-out-of-order', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        r.json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['002'],
      );
      assert.deepEqual(await historyIds(db), ['001', '003', '002']);
      // down reverts in the order they were applied, newest first
      r = await run('down', '--json');
      assert.deepEqual(
        r.json<{ reverted: { id: string }[] }>().reverted.map((a) => a.id),
        ['002'],
      );
    });

    it('a hostile history table name is quoted, never executed', async () => {
      dir = writeMigrations(db.dir, BASE, 'hostile');
      const table = 'h"; DROP TABLE a; --';
      let r = await run('apply', '--history-table', table);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await historyIds(db, table), ['001', '002']);
      assert.ok((await tableNames(db)).includes('a'));
      r = await run('status', '--history-table', table, '--json');
      assert.equal(r.json<{ current: string }>().current, '002');
      assert.equal((await run('down', '--to', 'base', '--history-table', table)).code, 0);
      r = await run('status', '--history-table', '');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /BAD_HISTORY_TABLE/);
    });

    it('a lock held by a live runner is waited for, then named', async () => {
      dir = writeMigrations(db.dir, BASE, 'locked');
      const conn = await openConnection(db.url);
      const lock = conn.dialect.createLock(conn, 'dbdoctor_migrations');
      await lock.acquire(1000);
      try {
        const r = await run('apply', '--lock-timeout', '300ms');
        assert.equal(r.code, 1);
        assert.match(r.stderr, /LOCK_TIMEOUT/);
        assert.match(r.stderr, new RegExp(`process ${dialect === 'sqlite' ? process.pid : '\\d+'}`));
        assert.match(r.stderr, /Waited 300 ms; nothing was changed/);
        assert.ok(!(await tableNames(db)).includes('a'));
      } finally {
        await lock.release();
        await conn.close();
      }
      assert.equal((await run('apply')).code, 0, 'released lock is free again');
    });

    it('resolve refuses what it cannot settle', async () => {
      dir = writeMigrations(db.dir, BASE, 'resolve');
      await run('apply');
      let r = await run('resolve', '001', '--applied');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /CANNOT_RESOLVE.*not partially applied/s);
      r = await run('resolve', '001');
      assert.equal(r.code, 2);
    });
  });
}

describe('unreachable or malformed databases', () => {
  it('a malformed URL is bad usage: exit 2 with the accepted forms', async () => {
    for (const url of ['oracle://root@localhost/db', 'postgres://', 'not a url']) {
      const r = await cli(['status', '--url', url, '--dir', '.']);
      assert.equal(r.code, 2, url);
      assert.match(r.stderr, /BAD_URL/);
      assert.match(r.stderr, /sqlite:path\/to\/file\.db/);
    }
  });

  it('an unreachable PostgreSQL server exits 1 and says so', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      writeMigrations(db.dir, BASE);
      const r = await cli(
        ['apply', '--url', 'postgres://nobody@127.0.0.1:1/nothing', '--dir', 'migrations'],
        { cwd: db.dir },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /DB_UNREACHABLE.*127\.0\.0\.1:1/s);
    } finally {
      await db.drop();
    }
  });

  it('a SQLite path in a missing folder exits 1', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      writeMigrations(db.dir, BASE);
      const r = await cli(['apply', '--url', 'sqlite:/no/such/folder/x.db', '--dir', 'migrations'], {
        cwd: db.dir,
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /DB_UNREACHABLE/);
    } finally {
      await db.drop();
    }
  });

  it('a config file that is not JSON is bad usage (exit 2) and names the file', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      fs.writeFileSync(path.join(db.dir, 'dbdoctor.config.json'), '{ url: nope');
      const r = await cli(['status'], { cwd: db.dir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /CONFIG_INVALID.*dbdoctor\.config\.json/s);
    } finally {
      await db.drop();
    }
  });

  it('--keep-backups takes whole numbers of 0 or more only: anything else is BAD_USAGE (exit 2), no backup pruned', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      writeMigrations(db.dir, BASE);
      const dir = path.join(db.dir, 'migrations');
      assert.equal(
        (await cli(['apply', '--url', db.url, '--dir', dir, '--to', '001'], { cwd: db.dir })).code,
        0,
      );
      for (const bad of ['abc', '1e2', '0x2', ' 2', '-1', '', '1.5']) {
        for (const command of ['apply', 'down']) {
          const r = await cli([command, '--url', db.url, '--dir', dir, `--keep-backups=${bad}`, '--json'], {
            cwd: db.dir,
          });
          assert.equal(r.code, 2, `${command} --keep-backups "${bad}": ${r.stderr}`);
          assert.match(r.stderr, /^error \[BAD_USAGE\]: --keep-backups must be a whole number/);
          assert.equal(r.json<{ error: { code: string } }>().error.code, 'BAD_USAGE');
          assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
        }
      }
      assert.deepEqual(await historyIds(db), ['001'], 'nothing ran');
      const ok = await cli(['apply', '--url', db.url, '--dir', dir, '--keep-backups', '0'], { cwd: db.dir });
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await db.drop();
    }
  });

  it('config values of the wrong type are CONFIG_INVALID (exit 2), never read as something else', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      writeMigrations(db.dir, BASE);
      const cases: [unknown, RegExp][] = [
        [{ backups: { keep: '3' } }, /"backups\.keep" must be a whole number/],
        [{ backups: { keep: 1.5 } }, /"backups\.keep" must be a whole number/],
        [{ backups: { keep: -1 } }, /"backups\.keep" must be a whole number/],
        [{ backups: { enabled: 'no' } }, /"backups\.enabled" must be true or false/],
        [{ backups: { dir: 3 } }, /"backups\.dir" must be a string/],
        [{ backups: { kept: 3 } }, /"backups" has unknown keys: kept/],
        [{ backups: 'yes' }, /"backups" must be an object/],
        [{ url: 5 }, /"url" must be a string/],
        [{ lockTimeout: true }, /"lockTimeout" must be a duration/],
      ];
      for (const [config, message] of cases) {
        fs.writeFileSync(
          path.join(db.dir, 'dbdoctor.config.json'),
          JSON.stringify({ url: db.url, ...(config as object) }),
        );
        const r = await cli(['apply'], { cwd: db.dir });
        assert.equal(r.code, 2, `${JSON.stringify(config)}: ${r.stderr}`);
        assert.match(r.stderr, /^error \[CONFIG_INVALID\]/, r.stderr);
        assert.match(r.stderr, message);
      }
      assert.equal(fs.existsSync(path.join(db.dir, 'backups')), false);
    } finally {
      await db.drop();
    }
  });
});
