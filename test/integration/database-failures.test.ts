import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backupFileName, partialBackupName } from '../../src/migrations/backup.js';
import {
  type CliResult,
  cli,
  createTestDatabase,
  onlyOn,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  tableNames,
  writeMigrations,
} from '../helpers/databases.js';

const FILES = { '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);', 'DROP TABLE a;') };

/** The shape every failure has: the code, what was unchanged, what to do, no stack trace. */
function assertDbDoctorError(r: CliResult, code: string, exit = 1): void {
  assert.equal(r.code, exit, `exit code\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`^error \\[${code}\\]: `), r.stderr);
  assert.match(r.stderr, /\n {2}\S.*\n {2}next: \S/, 'says what was unchanged and what to do next');
  assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /, 'no stack trace');
}

function assertJsonError(r: CliResult, code: string): void {
  const doc = r.json<{ ok: boolean; error: { code: string; unchanged: string; hint: string } }>();
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, code);
  assert.ok(doc.error.unchanged && doc.error.hint);
}

describe(
  'SQLite files that cannot be used: a DbDoctorError, nothing created or changed',
  onlyOn('sqlite'),
  () => {
    let db: TestDatabase;
    const run = (url: string, ...args: string[]) => cli([...args, '--url', url], { cwd: db.dir });
    before(async () => {
      db = await createTestDatabase('sqlite');
      writeMigrations(db.dir, FILES);
    });
    after(() => db.drop());

    it('a file that is not a database (garbage bytes): DB_NOT_SQLITE, file untouched', async () => {
      const file = path.join(db.dir, 'garbage.db');
      const bytes = Buffer.from('this is not a database, just some bytes\n'.repeat(200));
      fs.writeFileSync(file, bytes);
      for (const command of ['apply', 'status', 'doctor', 'history', 'schema', 'down']) {
        const r = await run('sqlite:./garbage.db', command, '--json');
        assertDbDoctorError(r, 'DB_NOT_SQLITE');
        assertJsonError(r, 'DB_NOT_SQLITE');
        assert.match(r.stderr, /garbage\.db is not a SQLite database/);
      }
      assert.deepEqual(fs.readFileSync(file), bytes);
      assert.deepEqual(fs.readdirSync(db.dir).sort(), ['garbage.db', 'migrations'], 'no journal, no backup');
    });

    it('a path that is a folder: DB_UNREACHABLE naming it', async () => {
      fs.mkdirSync(path.join(db.dir, 'folder.db'));
      for (const command of ['apply', 'status']) {
        const r = await run('sqlite:./folder.db', command);
        assertDbDoctorError(r, 'DB_UNREACHABLE');
        assert.match(r.stderr, /folder\.db: it is a folder, not a file/);
      }
      assert.deepEqual(fs.readdirSync(path.join(db.dir, 'folder.db')), []);
      fs.rmdirSync(path.join(db.dir, 'folder.db'));
    });

    it('a path whose folder does not exist: DB_UNREACHABLE, the folder is not created', async () => {
      const r = await run('sqlite:./missing/x.db', 'apply');
      assertDbDoctorError(r, 'DB_UNREACHABLE');
      assert.match(r.stderr, /the folder .*missing does not exist/);
      assert.equal(fs.existsSync(path.join(db.dir, 'missing')), false);
    });

    it('a path under a regular file (ENOTDIR) or a symlink loop (ELOOP): DB_UNREACHABLE, never INTERNAL', async () => {
      fs.writeFileSync(path.join(db.dir, 'afile'), 'x');
      fs.symlinkSync('loop2', path.join(db.dir, 'loop1'));
      fs.symlinkSync('loop1', path.join(db.dir, 'loop2'));
      try {
        for (const command of ['apply', 'stamp', 'down', 'status', 'sessions install']) {
          const words = command === 'stamp' ? ['stamp', '001'] : command.split(' ');
          const r = await run('sqlite:./afile/app.db', ...words);
          assertDbDoctorError(r, 'DB_UNREACHABLE');
          assert.match(r.stderr, /a part of the path is a file, not a folder/);
          const l = await run('sqlite:./loop1', ...words, '--json');
          assertDbDoctorError(l, 'DB_UNREACHABLE');
          assertJsonError(l, 'DB_UNREACHABLE');
          assert.match(l.stderr, /symbolic link loop/);
        }
      } finally {
        for (const f of ['afile', 'loop1', 'loop2']) fs.rmSync(path.join(db.dir, f));
      }
    });

    it('a backups folder that is a regular file: BACKUP_FAILED for apply, down, backup and restore', async () => {
      const url = 'sqlite:./bk/app.db';
      fs.mkdirSync(path.join(db.dir, 'bk'));
      const files = { ...FILES, '002_b.sql': sqlMigration('CREATE TABLE b (id INTEGER);', 'DROP TABLE b;') };
      writeMigrations(path.join(db.dir, 'bk'), files);
      const runBk = (...words: string[]) => run(url, ...words, '--dir', './bk/migrations');
      try {
        assert.equal((await runBk('apply', '--no-backup', '--to', '001')).code, 0);
        fs.writeFileSync(path.join(db.dir, 'bk', 'backups'), 'x');
        for (const words of [['apply', '--json'], ['down'], ['backup'], ['restore', './bk/app.db']]) {
          const r = await runBk(...words);
          assert.equal(r.code, 1, r.stderr);
          assert.match(
            r.stderr,
            /^error \[BACKUP_FAILED\]: .*\n {2}The database was not changed.*\n {2}next: /m,
          );
          assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /, 'no stack trace');
        }
        assert.deepEqual(fs.readdirSync(path.join(db.dir, 'bk')).sort(), ['app.db', 'backups', 'migrations']);
        assert.equal(fs.readFileSync(path.join(db.dir, 'bk', 'backups'), 'utf8'), 'x');
        const ids = await rawQuery(
          { ...db, url: `sqlite:${path.join(db.dir, 'bk', 'app.db')}` },
          'SELECT id FROM dbdoctor_migrations',
        );
        assert.deepEqual(
          ids.map((r) => r.id),
          ['001'],
          'down did not run',
        );
      } finally {
        fs.rmSync(path.join(db.dir, 'bk'), { recursive: true });
      }
    });

    it('restore onto a database opened read-only (?mode=ro): DB_READONLY, never INTERNAL', async () => {
      const url = 'sqlite:./rr/app.db';
      fs.mkdirSync(path.join(db.dir, 'rr'));
      try {
        await rawQuery({ ...db, url: `sqlite:${path.join(db.dir, 'rr', 'app.db')}` }, 'CREATE TABLE a (x)');
        await rawQuery({ ...db, url: `sqlite:${path.join(db.dir, 'rr', 'copy.db')}` }, 'CREATE TABLE a (x)');
        const before = fs.readFileSync(path.join(db.dir, 'rr', 'app.db'));
        const r = await run(`${url}?mode=ro`, 'restore', './rr/copy.db', '--json');
        assertDbDoctorError(r, 'DB_READONLY');
        assertJsonError(r, 'DB_READONLY');
        assert.deepEqual(fs.readFileSync(path.join(db.dir, 'rr', 'app.db')), before);
        assert.deepEqual(fs.readdirSync(path.join(db.dir, 'rr')).sort(), ['app.db', 'copy.db']);
      } finally {
        fs.rmSync(path.join(db.dir, 'rr'), { recursive: true });
      }
    });

    it("a killed backup's .partial and -journal are removed by the next backup; a live writer's are kept", async () => {
      const url = 'sqlite:./pk/app.db';
      fs.mkdirSync(path.join(db.dir, 'pk', 'backups'), { recursive: true });
      try {
        const file = path.join(db.dir, 'pk', 'app.db');
        await rawQuery({ ...db, url: `sqlite:${file}` }, 'CREATE TABLE a (x)');
        // A writer that is gone: a process that has exited (waited for, so its pid is free).
        const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
        const deadPid = Number(gone.stdout.toString());
        const name = (pid: number) =>
          partialBackupName(backupFileName(file, 'manual').replace(/-\d+\.sqlite$/, '-1.sqlite'), pid);
        const stale = name(deadPid);
        const live = name(process.pid);
        for (const f of [stale, `${stale}-journal`, live]) fs.writeFileSync(f, 'half a backup');
        const r = await run(url, 'backup');
        assert.equal(r.code, 0, r.stderr);
        const left = fs.readdirSync(path.join(db.dir, 'pk', 'backups'));
        assert.ok(!left.includes(path.basename(stale)), `stale partial removed: ${left}`);
        assert.ok(!left.includes(`${path.basename(stale)}-journal`), 'and its journal');
        assert.ok(left.includes(path.basename(live)), "a live writer's partial is kept");
        assert.equal(left.filter((n) => n.endsWith('.sqlite')).length, 1, 'the new backup');
      } finally {
        fs.rmSync(path.join(db.dir, 'pk'), { recursive: true });
      }
    });

    it('%00 in the path is BAD_URL (exit 2), never a silently shorter file name', async () => {
      const r = await run('sqlite:./ab%00cd.db', 'apply', '--json');
      assertDbDoctorError(r, 'BAD_URL', 2);
      assertJsonError(r, 'BAD_URL');
      assert.match(r.stderr, /NUL/);
      assert.equal(fs.existsSync(path.join(db.dir, 'ab')), false, 'the truncated name "ab" was not created');
      assert.equal(fs.existsSync(path.join(db.dir, 'backups')), false);
    });

    it('a malformed %-escape in the path is BAD_URL (exit 2)', async () => {
      const r = await run('sqlite:./x%zz.db', 'status');
      assertDbDoctorError(r, 'BAD_URL', 2);
      assert.match(r.stderr, /malformed percent-escape/);
      assert.deepEqual(fs.readdirSync(db.dir).sort(), ['garbage.db', 'migrations']);
    });

    it('a database opened read-only (?mode=ro): DB_READONLY for writes, reads work', async () => {
      assert.equal((await run('sqlite:./ro.db', 'apply')).code, 0);
      fs.rmSync(path.join(db.dir, 'backups'), { recursive: true, force: true });
      fs.writeFileSync(
        path.join(db.dir, 'migrations', '002_b.sql'),
        sqlMigration('CREATE TABLE b (id INTEGER);'),
      );
      try {
        const before = fs.readFileSync(path.join(db.dir, 'ro.db'));
        const r = await run('sqlite:./ro.db?mode=ro', 'apply', '--json', '--no-backup');
        assertDbDoctorError(r, 'DB_READONLY');
        assertJsonError(r, 'DB_READONLY');
        assert.match(r.stderr, /remove \?mode=ro/);
        assert.deepEqual(fs.readFileSync(path.join(db.dir, 'ro.db')), before);
        const s = await run('sqlite:./ro.db?mode=ro', 'status', '--json');
        assert.equal(s.code, 0, s.stderr);
        assert.equal(s.json<{ current: string; database: string }>().current, '001');
        assert.match(s.json<{ database: string }>().database, /ro\.db\?mode=ro$/);
        // mode=ro and mode=rw never create a file
        for (const mode of ['ro', 'rw']) {
          const n = await run(`sqlite:./new-${mode}.db?mode=${mode}`, 'apply');
          assertDbDoctorError(n, 'DB_NOT_FOUND');
          assert.equal(fs.existsSync(path.join(db.dir, `new-${mode}.db`)), false);
        }
      } finally {
        fs.rmSync(path.join(db.dir, 'migrations', '002_b.sql'));
        fs.rmSync(path.join(db.dir, 'ro.db'));
      }
    });

    it('a file this user cannot write (chmod 444, or chattr +i as root): DB_READONLY', async (t) => {
      assert.equal((await run('sqlite:./locked.db', 'apply', '--no-backup')).code, 0);
      const file = path.join(db.dir, 'locked.db');
      fs.writeFileSync(
        path.join(db.dir, 'migrations', '002_b.sql'),
        sqlMigration('CREATE TABLE b (id INTEGER);'),
      );
      let protect = () => fs.chmodSync(file, 0o444);
      let unprotect = () => fs.chmodSync(file, 0o644);
      if (process.getuid?.() === 0) {
        // root writes through file modes; the immutable attribute stops root too.
        protect = () => execFileSync('chattr', ['+i', file]);
        unprotect = () => execFileSync('chattr', ['-i', file]);
      }
      try {
        protect();
      } catch (e) {
        t.diagnostic(
          `cannot write-protect a file here (${(e as Error).message}); ?mode=ro covers DB_READONLY`,
        );
        return;
      }
      try {
        const r = await run('sqlite:./locked.db', 'apply', '--no-backup');
        assertDbDoctorError(r, 'DB_READONLY');
        assert.match(r.stderr, /cannot be written/);
        assert.equal((await run('sqlite:./locked.db', 'status')).code, 0, 'reading still works');
      } finally {
        unprotect();
        fs.rmSync(path.join(db.dir, 'migrations', '002_b.sql'));
      }
      assert.deepEqual(
        (await rawQuery({ ...db, url: `sqlite:${file}` }, 'SELECT id FROM dbdoctor_migrations')).map(
          (r) => r.id,
        ),
        ['001'],
      );
    });
  },
);

describe('PostgreSQL servers and databases that cannot be used', onlyOn('postgres'), () => {
  let db: TestDatabase;
  let url: URL;
  before(async () => {
    db = await createTestDatabase('postgres');
    writeMigrations(db.dir, FILES);
    url = new URL(db.url);
  });
  after(() => db.drop());
  const run = (target: string, ...args: string[]) => cli([...args, '--url', target], { cwd: db.dir });
  const withPath = (pathname: string, port = url.port) => {
    const u = new URL(url);
    u.pathname = pathname;
    u.port = port;
    return u.toString();
  };

  it('no server on the port: DB_UNREACHABLE, no hang', async () => {
    for (const command of ['apply', 'status', 'doctor', 'sessions list']) {
      const r = await run(withPath(url.pathname, '1'), ...command.split(' '), '--json');
      assertDbDoctorError(r, 'DB_UNREACHABLE');
      assertJsonError(r, 'DB_UNREACHABLE');
      assert.match(r.stderr, /ECONNREFUSED/);
    }
  });

  it('a database that does not exist: DB_NOT_FOUND from every command, status and apply --dry-run too (apply would not create it)', async () => {
    const missing = withPath(`${url.pathname}_missing`);
    for (const command of [
      'apply',
      'doctor',
      'history',
      'schema',
      'sessions list',
      'status',
      'apply --dry-run',
    ]) {
      const r = await run(missing, ...command.split(' '));
      assertDbDoctorError(r, 'DB_NOT_FOUND');
      assert.match(r.stderr, /does not exist/);
      assert.match(r.stderr, /createdb/);
    }
  });

  it('a login the server refuses (a role that does not exist): DB_AUTH_FAILED', async () => {
    const u = new URL(url);
    u.username = 'dbdoctor_no_such_role';
    const r = await run(u.toString(), 'apply', '--json');
    assertDbDoctorError(r, 'DB_AUTH_FAILED');
    assertJsonError(r, 'DB_AUTH_FAILED');
    assert.match(r.stderr, /role "dbdoctor_no_such_role" does not exist/);
  });

  it('a read-only session (as on a standby): the migration fails with DB_READONLY advice, nothing written', async () => {
    const u = new URL(url);
    u.searchParams.set('options', '-c default_transaction_read_only=on');
    const r = await run(u.toString(), 'apply', '--json');
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
    assert.match(r.stderr, /read-only transaction/);
    assert.match(r.stderr, /primary server/, 'the advice is about the server, not the file');
    assert.doesNotMatch(r.stderr, /Fix .*001_a\.sql/);
    const err = r.json<{ error: { reason: string } }>().error;
    assert.equal(err.reason, 'DB_READONLY');
    assert.deepEqual(await tableNames(db), []);
  });

  it('a malformed %-escape is BAD_URL (exit 2), whichever part holds it', async () => {
    for (const bad of [withPath('/d%zz'), `${url.protocol}//u:p%zz@${url.host}/x`]) {
      const r = await run(bad, 'status', '--json');
      assertDbDoctorError(r, 'BAD_URL', 2);
      assertJsonError(r, 'BAD_URL');
    }
  });
});
