/**
 * pull and dump write a schema file that means what the live database means, never overwrite
 * a user's edits to it, and say when the database they read is behind the migrations.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  onlyOn,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

describe('pull on SQLite keeps the declared type where it carries meaning', onlyOn('sqlite'), () => {
  // Only a lone key declared exactly INTEGER is the rowid alias (never NULL); `int`, `bigint`,
  // `INTEGER PRIMARY KEY DESC` and WITHOUT ROWID keys are not, and affinity follows the words
  // of the declared type (STRING is NUMERIC, TEXT is TEXT).
  const tables = [
    'CREATE TABLE k_int (id int PRIMARY KEY, v text)',
    'CREATE TABLE k_int_upper (id INT PRIMARY KEY, v text)',
    'CREATE TABLE k_integer (id integer PRIMARY KEY, v text)',
    'CREATE TABLE k_integer_upper (id INTEGER PRIMARY KEY, v text)',
    'CREATE TABLE k_bigint (id bigint PRIMARY KEY, v text)',
    'CREATE TABLE k_desc (id INTEGER PRIMARY KEY DESC, v text)',
    'CREATE TABLE k_table_constraint (id INTEGER, v text, PRIMARY KEY (id))',
    'CREATE TABLE k_without_rowid (id int PRIMARY KEY, v text) WITHOUT ROWID',
    'CREATE TABLE k_serial (id serial PRIMARY KEY, s string)',
  ];
  let db: TestDatabase;
  let dir: string;
  const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

  before(async () => {
    db = await createTestDatabase('sqlite');
    dir = writeMigrations(db.dir, { '001_keys.sql': sqlMigration(`${tables.join(';\n')};`) });
    assert.equal((await run('apply')).code, 0);
  });
  after(() => db.drop());

  it('pull then diff is empty, and the doctor agrees', async () => {
    const pulled = await run('pull');
    assert.equal(pulled.code, 0, pulled.stderr);
    const text = fs.readFileSync(path.join(db.dir, 'schema.sql'), 'utf8');
    assert.match(text, /"id" int,/i, 'int stays int: not the rowid alias');
    assert.match(text, /"id" INTEGER PRIMARY KEY DESC/, 'the DESC quirk stays an ordinary key');
    assert.match(text, /"s" string/i, 'STRING keeps its NUMERIC affinity');
    const diff = await run('diff', '--exit-code', '--json');
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.equal(diff.json<{ empty: boolean }>().empty, true);
    const doctor = await run('doctor', '--json');
    assert.equal(doctor.json<{ ok: boolean }>().ok, true, doctor.stdout);
  });

  it('the schema file run alone takes NULL in a key exactly where the live table does', async () => {
    const { default: Database } = await import('better-sqlite3');
    const live = new Database(db.url.slice('sqlite:'.length));
    const fresh = new Database(':memory:');
    try {
      fresh.exec(fs.readFileSync(path.join(db.dir, 'schema.sql'), 'utf8'));
      const accepts = (target: InstanceType<typeof Database>, t: string): boolean => {
        try {
          target.exec(`INSERT INTO "${t}" (id) VALUES (NULL)`);
          const n = (
            target.prepare(`SELECT count(*) AS n FROM "${t}" WHERE id IS NULL`).get() as { n: number }
          ).n;
          target.exec(`DELETE FROM "${t}" WHERE id IS NULL OR rowid IS NOT NULL`);
          return n === 1;
        } catch {
          return false;
        }
      };
      for (const t of tables.map((s) => /CREATE TABLE (\w+)/.exec(s)![1]!)) {
        const expected = accepts(live, t);
        assert.equal(accepts(fresh, t), expected, `${t}: NULL in the key`);
      }
      assert.equal(accepts(live, 'k_int'), true, 'the test means something: int keys take NULL');
    } finally {
      live.close();
      fresh.close();
    }
  });
});

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`pull, dump and apply --dump keep a schema file's edits on ${dialect}`, () => {
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });
    const schemaFile = () => path.join(db.dir, 'schema.sql');
    const edit = () =>
      fs.appendFileSync(schemaFile(), '\nCREATE TABLE unsaved_edit (id INTEGER PRIMARY KEY NOT NULL);\n');

    before(async () => {
      db = await createTestDatabase(dialect);
      linkPackage(db.dir);
      dir = writeMigrations(db.dir, {
        '001_init.sql': sqlMigration('CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL);'),
      });
      assert.equal((await run('apply')).code, 0);
    });
    after(() => db.drop());

    it('pull and dump refuse to overwrite edits: SCHEMA_FILE_EDITED, exit 1, the file as it was', async () => {
      assert.equal((await run('pull')).code, 0);
      edit();
      const edited = fs.readFileSync(schemaFile(), 'utf8');
      for (const cmd of ['pull', 'dump']) {
        const r = await run(cmd, '--json');
        assert.equal(r.code, 1, `${cmd}: ${r.stderr}`);
        const e = r.json<{ error: { code: string; unchanged: string; hint: string } }>().error;
        assert.equal(e.code, 'SCHEMA_FILE_EDITED', cmd);
        assert.match(e.unchanged, /Nothing was written/);
        assert.match(e.hint, /generate/);
        assert.match(e.hint, /--force/);
        assert.equal(fs.readFileSync(schemaFile(), 'utf8'), edited, `${cmd} left the file as it was`);
      }
    });

    it('apply --dump applies, skips the dump with a warning, exits 0', async () => {
      const edited = fs.readFileSync(schemaFile(), 'utf8');
      writeMigrations(db.dir, { '002_more.sql': sqlMigration('CREATE TABLE more (id INTEGER);') });
      const r = await run('apply', '--dump', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = r.json<{
        ok: boolean;
        applied: unknown[];
        dumped?: string;
        dumpSkipped?: { code: string };
      }>();
      assert.equal(doc.ok, true);
      assert.equal(doc.applied.length, 1, 'the migration was applied');
      assert.equal(doc.dumped, undefined);
      assert.equal(doc.dumpSkipped?.code, 'SCHEMA_FILE_EDITED');
      assert.match(
        r.stderr,
        /warning \[SCHEMA_FILE_EDITED\]: the migrations were applied; the dump was skipped/,
      );
      assert.equal(fs.readFileSync(schemaFile(), 'utf8'), edited);
    });

    it('--force overwrites; a file whose edits were generated and applied is overwritten without it', async () => {
      const r = await run('dump', '--force');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(fs.readFileSync(schemaFile(), 'utf8'), /unsaved_edit/);
      edit();
      const generated = await run('generate', 'add_edit', '--no-prompt');
      assert.equal(generated.code, 0, generated.stderr);
      const applied = await run('apply', '--dump');
      assert.equal(applied.code, 0, applied.stderr);
      assert.doesNotMatch(applied.stderr, /SCHEMA_FILE_EDITED/);
      assert.match(applied.stdout, /wrote .*schema\.sql/);
      // Unedited since dbdoctor wrote it: pull overwrites it when the database changes.
      writeMigrations(db.dir, {
        '30000101000000_last.sql': sqlMigration('CREATE TABLE last_one (id INTEGER);'),
      });
      assert.equal((await run('apply')).code, 0);
      const pulled = await run('pull');
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.match(fs.readFileSync(schemaFile(), 'utf8'), /last_one/);
    });
  });
}

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`pull from a database behind the migrations warns on ${dialect}`, () => {
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });

    before(async () => {
      db = await createTestDatabase(dialect);
      dir = writeMigrations(db.dir, {
        '001_init.sql': sqlMigration('CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, email TEXT);'),
      });
      assert.equal((await run('apply')).code, 0);
    });
    after(() => db.drop());

    it('up to date: no warning', async () => {
      const r = await run('pull', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json<{ warnings: unknown[] }>().warnings, []);
    });

    it('a pending migration is named in the text and in --json', async () => {
      writeMigrations(db.dir, {
        '002_teammate.sql': sqlMigration('ALTER TABLE users ADD COLUMN teammate_col TEXT;'),
      });
      const human = await run('pull', '--force');
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stderr, /warning \[PENDING_MIGRATIONS\]: .*002_teammate.*would undo them/);
      const r = await run('pull', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = r.json<{ warnings: { code: string; migrations: string[] }[] }>();
      assert.deepEqual(
        doc.warnings.map((w) => [w.code, w.migrations]),
        [['PENDING_MIGRATIONS', ['002_teammate']]],
      );
      for (const cmd of ['dump']) {
        const d = await run(cmd, '--json');
        assert.equal(d.json<{ warnings: { code: string }[] }>().warnings[0]?.code, 'PENDING_MIGRATIONS');
      }
    });

    it('generate from a file pulled while behind names the pending migration it would undo', async () => {
      const file = path.join(db.dir, 'schema.sql');
      fs.writeFileSync(
        file,
        fs.readFileSync(file, 'utf8').replace(/CREATE TABLE "?users"? \(/, '$&\n  "mine" TEXT,'),
      );
      const r = await run('diff', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = r.json<{ warnings: { code: string; migrations: string[]; message: string }[] }>();
      assert.deepEqual(
        doc.warnings.map((w) => [w.code, w.migrations]),
        [['PENDING_MIGRATIONS', ['002_teammate']]],
      );
      assert.match(doc.warnings[0]!.message, /undoes them/);
      const human = await run('diff');
      assert.match(human.stderr, /warning \[PENDING_MIGRATIONS\]: .*002_teammate/);
    });

    it('a database no migration ran on (a fresh one) is not behind: diff gives no warning', async () => {
      const fresh = await createTestDatabase(dialect);
      try {
        const r = await cli(['diff', '--json', '--url', fresh.url, '--dir', dir], { cwd: db.dir });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.json<{ warnings: unknown[] }>().warnings, []);
      } finally {
        await fresh.drop();
      }
    });

    it('a history problem (an applied migration edited) is named', async () => {
      assert.equal((await run('apply')).code, 0);
      fs.appendFileSync(path.join(dir, '001_init.sql'), '\n-- edited after it was applied\n');
      const r = await run('pull', '--force', '--json');
      assert.equal(r.code, 0, r.stderr);
      const warnings = r.json<{ warnings: { code: string; migrations: string[] }[] }>().warnings;
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.deepEqual(warnings[0]!.migrations, ['001']);
    });
  });
}
