/**
 * Migration files and folders that are not what they seem: every case is a DbDoctorError with
 * a stable code and exit 1 (2 for usage), no stack trace, no hang, and no database change — a
 * SQLite file is not even created. The spawn timeout is only a safety net for a regression that
 * hangs (a FIFO read); no assertion depends on it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  CLI_PATH,
  type CliResult,
  createTestDatabase,
  DIALECTS,
  onlyOn,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

const SAFETY_NET_MS = 60_000;

/** The built CLI as a real process; `uid` runs it as another user (only root can). */
function runCli(args: string[], opts: { cwd: string; uid?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: opts.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SAFETY_NET_MS,
      ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, json: <T>() => JSON.parse(stdout) as T }),
    );
  });
}

function assertCleanError(r: CliResult, code: string, exit = 1): void {
  assert.equal(r.signal, null, `the CLI did not hang (stderr: ${r.stderr})`);
  assert.equal(r.code, exit, r.stderr);
  assert.match(r.stderr, new RegExp(`\\[${code}\\]`));
  assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
}

const GOOD = { '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER);') };
const NOBODY = 65534;

for (const dialect of DIALECTS) {
  describe(`bad migration files on ${dialect}: clear error, nothing changed, no database created`, () => {
    let db: TestDatabase;
    let url: string;
    let dbFile: string | null;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      // A SQLite path that does not exist yet: opening it would create it.
      dbFile = dialect === 'sqlite' ? path.join(db.dir, 'fresh.sqlite') : null;
      url = dbFile ? `sqlite:${dbFile}` : db.url;
    });
    afterEach(() => db.drop());

    const assertUntouched = async () => {
      if (dbFile) assert.ok(!fs.existsSync(dbFile), 'the SQLite file was not created');
      else assert.deepEqual(await tableNames(db), [], 'nothing was created in the database');
    };

    const cases: [string, (dir: string) => void, string, RegExp][] = [
      [
        'a broken symlink',
        (dir) => fs.symlinkSync(path.join(dir, 'nowhere.sql'), path.join(dir, '004_x.sql')),
        'MIGRATION_FILE_UNREADABLE',
        /004_x\.sql is a symbolic link to .*nowhere\.sql, which does not exist/,
      ],
      [
        'a symlink loop',
        (dir) => {
          fs.symlinkSync(path.join(dir, '005_y.sql'), path.join(dir, '004_x.sql'));
          fs.symlinkSync(path.join(dir, '004_x.sql'), path.join(dir, '005_y.sql'));
        },
        'MIGRATION_FILE_UNREADABLE',
        /is a symbolic link that loops/,
      ],
      [
        'a directory named 004_x.sql',
        (dir) => fs.mkdirSync(path.join(dir, '004_x.sql')),
        'MIGRATION_FILE_UNREADABLE',
        /004_x\.sql is a folder, not a regular file/,
      ],
      [
        'a FIFO in the migrations folder (must not hang)',
        (dir) => execFileSync('mkfifo', [path.join(dir, '004_x.sql')]),
        'MIGRATION_FILE_UNREADABLE',
        /004_x\.sql is a named pipe \(FIFO\), not a regular file/,
      ],
      [
        'ids 1 and 01',
        (dir) => {
          fs.writeFileSync(path.join(dir, '4_x.sql'), sqlMigration('SELECT 1;'));
          fs.writeFileSync(path.join(dir, '04_y.sql'), sqlMigration('SELECT 2;'));
        },
        'DUPLICATE_ID',
        /share the id/,
      ],
      [
        'NFC and NFD spellings of one id',
        (dir) => {
          fs.writeFileSync(path.join(dir, '\u00e9_x.sql'), sqlMigration('SELECT 1;'));
          fs.writeFileSync(path.join(dir, 'e\u0301_y.sql'), sqlMigration('SELECT 2;'));
        },
        'DUPLICATE_ID',
        /share the id/,
      ],
      [
        'a SQL file with no up section',
        (dir) => fs.writeFileSync(path.join(dir, '004_x.sql'), 'CREATE TABLE x (id INTEGER);'),
        'NO_UP_SECTION',
        /004_x\.sql has no "-- migrate:up" section/,
      ],
      [
        'a UTF-16 SQL file',
        (dir) =>
          fs.writeFileSync(path.join(dir, '004_x.sql'), Buffer.from('\ufeff-- migrate:up\n', 'utf16le')),
        'BAD_ENCODING',
        /004_x\.sql is not UTF-8 \(it is UTF-16\)/,
      ],
    ];

    for (const [name, make, code, message] of cases) {
      it(name, async () => {
        const dir = writeMigrations(db.dir, GOOD);
        make(dir);
        const r = await runCli(['apply', '--url', url, '--dir', dir], { cwd: db.dir });
        assertCleanError(r, code);
        assert.match(r.stderr, message);
        await assertUntouched();
      });
    }

    it('an unreadable file (chmod 000; as root, run as nobody because root reads anything)', async () => {
      const dir = writeMigrations(db.dir, GOOD);
      const file = path.join(dir, '004_x.sql');
      fs.writeFileSync(file, sqlMigration('SELECT 1;'));
      fs.chmodSync(file, 0o000);
      const asRoot = process.getuid?.() === 0;
      if (asRoot) {
        // nobody must reach the folder and may not write the database folder.
        fs.chmodSync(db.dir, 0o755);
        fs.chmodSync(dir, 0o755);
      }
      const r = await runCli(['apply', '--url', url, '--dir', dir], {
        cwd: db.dir,
        uid: asRoot ? NOBODY : undefined,
      });
      assertCleanError(r, 'MIGRATION_FILE_UNREADABLE');
      assert.match(r.stderr, /004_x\.sql cannot be read: permission denied/);
      await assertUntouched();
    });
  });
}

describe(
  'SQLite double-quoted string literals (this better-sqlite3 is built with SQLITE_DQS=0)',
  onlyOn('sqlite'),
  () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase('sqlite');
    });
    afterEach(() => db.drop());

    const expectExplained = async (dir: string, file: string, line: number) => {
      const r = await runCli(['apply', '--url', db.url, '--dir', dir, '--json'], { cwd: db.dir });
      assertCleanError(r, 'SQLITE_DOUBLE_QUOTED_STRING');
      assert.match(r.stderr, new RegExp(`${file} line ${line}\\): "internal" is a double-quoted string`));
      assert.match(r.stderr, /'internal' instead of "internal"/);
      assert.match(r.stderr, /rolled back; the database is still at revision 001/);
      const err = r.json<{ error: { code: string; line: number } }>().error;
      assert.equal(err.code, 'SQLITE_DOUBLE_QUOTED_STRING');
      assert.equal(err.line, line);
      assert.ok(!(await tableNames(db)).includes('config'), 'nothing of the migration was applied');
    };

    it('in a SQL migration: names the literal, the line and the fix', async () => {
      const dir = writeMigrations(db.dir, {
        ...GOOD,
        '002_config.sql':
          '-- migrate:up\nCREATE TABLE config (category TEXT);\nINSERT INTO config VALUES (\'x\');\nUPDATE config SET category = "internal";\n',
      });
      await expectExplained(dir, '002_config.sql', 4);
    });

    it('in a TS migration', async () => {
      const dir = writeMigrations(db.dir, {
        ...GOOD,
        '002_config.ts': `export default {
  async up(db: { sql(s: string): Promise<void> }) {
    await db.sql('CREATE TABLE config (category TEXT)');
    await db.sql('UPDATE config SET category = "internal"');
  },
};
`,
      });
      await expectExplained(dir, '002_config.ts', 4);
    });

    it('a double-quoted name that is a real column still works, and a missing one is a plain failure', async () => {
      const dir = writeMigrations(db.dir, {
        ...GOOD,
        '002_ok.sql': sqlMigration('CREATE TABLE t ("internal" TEXT);\nUPDATE t SET "internal" = \'x\';'),
        '003_missing.sql': sqlMigration('UPDATE t SET internal = nope;'),
      });
      const r = await runCli(['apply', '--url', db.url, '--dir', dir], { cwd: db.dir });
      assertCleanError(r, 'MIGRATION_FAILED');
      assert.match(r.stderr, /003_missing failed/);
    });
  },
);

describe('dbdoctor new with a name too long for a file name', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterEach(() => db.drop());

  it('a 300-character name is a usage error (exit 2); 200 characters work', async () => {
    const dir = path.join(db.dir, 'migrations');
    let r = await runCli(['new', 'a'.repeat(300), '--dir', dir], { cwd: db.dir });
    assertCleanError(r, 'BAD_USAGE', 2);
    assert.match(r.stderr, /300 characters long; the most is 200/);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], []);
    r = await runCli(['new', 'b'.repeat(200), '--dir', dir], { cwd: db.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readdirSync(dir).length, 1);
  });

  it('a folder path the file system cannot hold is CANNOT_WRITE_MIGRATION', async () => {
    const dir = path.join(db.dir, 'x'.repeat(300));
    const r = await runCli(['new', 'ok', '--dir', dir], { cwd: db.dir });
    assertCleanError(r, 'CANNOT_WRITE_MIGRATION');
    assert.match(r.stderr, /ENAMETOOLONG|name too long/i);
  });
});
