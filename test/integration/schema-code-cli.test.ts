/**
 * pull, dump, generate and diff as real processes: --help, --json documents, error codes and
 * exit codes (0 success, 1 failure, 2 bad usage), no stack trace, nothing written on failure.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CliResult,
  cli,
  createTestDatabase,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

/** TEXT as a type each dialect indexes (MySQL indexes TEXT only with a prefix length). */
const text = (dialect: string) => (dialect === 'mysql' ? 'VARCHAR(255)' : 'TEXT');

const project = (dialect: string) => ({
  '001_users.sql': sqlMigration(
    `CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, email ${text(dialect)} NOT NULL);\nCREATE INDEX users_email ON users (email);`,
    'DROP TABLE users;',
  ),
});

interface ErrorDoc {
  ok: false;
  error: { code: string; message: string; unchanged?: string; hint?: string };
}

/** A failure as the CLI contract says: the code on stderr and as JSON, no stack, the exit code. */
function assertFails(r: CliResult, code: string, exit: number): ErrorDoc['error'] {
  assert.equal(r.code, exit, `${code}: exit ${r.code}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`error \\[${code}\\]`));
  assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
  const doc = r.json<ErrorDoc>();
  assert.equal(doc.ok, false);
  assert.equal(doc.error.code, code);
  assert.ok(doc.error.unchanged, 'says what was left unchanged');
  assert.ok(doc.error.hint, 'says what to do next');
  return doc.error;
}

describe('schema-as-code commands: usage', () => {
  it('pull, dump, generate and diff have --help', async () => {
    const options: Record<string, string[]> = {
      pull: ['--format', '--file', '--baseline', '--stdout', '--url'],
      dump: ['--file', '--url'],
      generate: ['--schema-file', '--rename', '--no-prompt', '--url'],
      diff: ['--schema-file', '--rename', '--exit-code', '--url'],
    };
    for (const [cmd, flags] of Object.entries(options)) {
      const r = await cli([cmd, '--help']);
      assert.equal(r.code, 0, `${cmd} --help`);
      assert.match(r.stdout, new RegExp(`Usage: dbdoctor ${cmd}`));
      for (const flag of flags) assert.ok(r.stdout.includes(flag), `${cmd} --help lists ${flag}`);
    }
  });

  it('bad usage exits 2 with BAD_USAGE, before any database is opened', async () => {
    const url = 'sqlite:/nonexistent-dir/never.sqlite';
    for (const args of [
      ['generate', '--json'],
      ['generate', 'bad name!', '--url', url, '--json'],
      ['generate', 'x', '--rename', 'no-equals-sign', '--url', url, '--json'],
      ['pull', '--format', 'yaml', '--url', url, '--json'],
      ['pull', '--stdout', '--baseline', '--url', url, '--json'],
      ['diff', '--no-such-flag', '--json'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.json<ErrorDoc>().error.code, 'BAD_USAGE', args.join(' '));
      assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
    }
  });
});

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`pull, dump, generate and diff on ${dialect}`, () => {
    let db: TestDatabase;
    let dir: string;
    const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });
    const schemaFile = () => path.join(db.dir, 'schema.sql');

    before(async () => {
      db = await createTestDatabase(dialect);
      linkPackage(db.dir);
      dir = writeMigrations(db.dir, project(dialect));
      assert.equal((await run('apply')).code, 0);
    });
    after(() => db.drop());

    it('pull writes schema.sql beside the migrations; --json is the result without the text', async () => {
      const r = await run('pull', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = r.json<Record<string, unknown>>();
      assert.deepEqual(Object.keys(doc).sort(), [
        'baseline',
        'database',
        'dialect',
        'file',
        'fingerprint',
        'format',
        'ok',
        'tables',
        'unchanged',
        'warnings',
      ]);
      assert.equal(doc.file, schemaFile());
      assert.equal(doc.dialect, dialect);
      assert.equal(doc.tables, 1);
      assert.equal(doc.unchanged, false);
      assert.match(String(doc.fingerprint), /^[0-9a-f]{64}$/);
      const text = fs.readFileSync(schemaFile(), 'utf8');
      assert.match(text, /^-- dbdoctor schema/);
      assert.match(text, /CREATE TABLE ["`]users["`]/);
      assert.doesNotMatch(text, /dbdoctor_migrations/, 'the history table is not the project schema');

      const again = await run('pull', '--json');
      assert.equal(again.json<{ unchanged: boolean }>().unchanged, true);
      const printed = await run('pull', '--stdout');
      assert.equal(printed.code, 0);
      assert.equal(printed.stdout, text, '--stdout prints the same bytes');
      const human = await run('pull');
      assert.match(human.stdout, /^unchanged .*schema\.sql \(1 tables/);
    });

    it('pull --format ts writes schema.ts in the DSL vocabulary', async () => {
      const r = await run('pull', '--format', 'ts', '--json');
      assert.equal(r.code, 0, r.stderr);
      const text = fs.readFileSync(path.join(db.dir, 'schema.ts'), 'utf8');
      assert.match(text, /import \{ defineSchema \} from 'dbdoctor';/);
      assert.match(text, /users: \{/);
      fs.rmSync(path.join(db.dir, 'schema.ts'));
    });

    it('pull --format ts refuses a schema the DSL cannot declare: SCHEMA_NOT_PORTABLE, exit 1', async () => {
      await rawExec(db, 'CREATE VIEW emails AS SELECT email FROM users');
      try {
        const r = await run('pull', '--format', 'ts', '--json');
        const e = assertFails(r, 'SCHEMA_NOT_PORTABLE', 1);
        assert.match(e.message, /views/);
        assert.ok(!fs.existsSync(path.join(db.dir, 'schema.ts')));
      } finally {
        await rawExec(db, 'DROP VIEW emails');
      }
    });

    it('SCHEMA_NOT_PORTABLE names the table, the column and why', async () => {
      const collation = { postgres: '"C"', sqlite: 'NOCASE', mysql: 'utf8mb4_bin' }[dialect];
      await rawExec(
        db,
        `CREATE TABLE tagged (id INTEGER PRIMARY KEY, label ${text(dialect)} COLLATE ${collation})`,
      );
      try {
        const r = await run('pull', '--format', 'ts', '--json');
        const e = assertFails(r, 'SCHEMA_NOT_PORTABLE', 1);
        assert.match(e.message, /tagged: column label has collation "?(c|nocase|utf8mb4_bin)"?/i);
      } finally {
        await rawExec(db, 'DROP TABLE tagged');
      }
    });

    for (const format of ['sql', 'ts']) {
      it(`pull --baseline --format ${format} adopts a database without history: files written, stamped, apply has nothing to do, the doctor agrees`, async () => {
        const fresh = await createTestDatabase(dialect);
        try {
          await rawExec(
            fresh,
            `CREATE TABLE accounts (id INTEGER PRIMARY KEY NOT NULL, email ${text(dialect)} NOT NULL)`,
          );
          await rawExec(fresh, "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')");
          const migrations = path.join(fresh.dir, 'migrations');
          const go = (...args: string[]) =>
            cli([...args, '--url', fresh.url, '--dir', migrations], { cwd: fresh.dir });
          const r = await go('pull', '--baseline', '--format', format, '--json');
          assert.equal(r.code, 0, r.stdout + r.stderr);
          const doc = r.json<{ baseline: { id: string; file: string } | null }>();
          assert.ok(doc.baseline, 'a baseline was written');
          assert.ok(fs.existsSync(doc.baseline.file));
          assert.ok(fs.existsSync(path.join(fresh.dir, format === 'ts' ? 'schema.ts' : 'schema.sql')));
          const status = await go('status', '--json');
          const s = status.json<{ current: string | null; pending: unknown[]; problems: unknown[] }>();
          assert.equal(s.current, doc.baseline.id);
          assert.deepEqual(s.pending, []);
          assert.deepEqual(s.problems, []);
          const apply = await go('apply', '--json');
          assert.equal(apply.code, 0, apply.stderr);
          const doctor = await go('doctor', '--json');
          assert.equal(doctor.code, 0, doctor.stdout);
          assert.deepEqual(await rawQuery(fresh, 'SELECT email FROM accounts'), [{ email: 'a@example.com' }]);
        } finally {
          await fresh.drop();
        }
      });
    }

    it('pull --baseline is refused where migrations exist: BASELINE_REFUSED, exit 1, nothing written', async () => {
      const before = fs.readFileSync(schemaFile(), 'utf8');
      const r = await run('pull', '--baseline', '--json');
      assertFails(r, 'BASELINE_REFUSED', 1);
      assert.deepEqual(fs.readdirSync(dir), ['001_users.sql']);
      assert.equal(fs.readFileSync(schemaFile(), 'utf8'), before);
    });

    it('dump writes schema.sql to --file; --json names it', async () => {
      const file = path.join(db.dir, 'out', 'dump.sql');
      const r = await run('dump', '--file', file, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ file: string }>().file, file);
      assert.equal(fs.readFileSync(file, 'utf8'), fs.readFileSync(schemaFile(), 'utf8'));
    });

    it('diff with nothing to do: exit 0, also with --exit-code', async () => {
      let r = await run('diff', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ empty: boolean }>().empty, true);
      r = await run('diff', '--exit-code');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /No difference/);
    });

    it('diff prints the migration and writes nothing; --exit-code exits 1 when they differ', async () => {
      fs.appendFileSync(schemaFile(), `\nCREATE TABLE tags (name ${text(dialect)} PRIMARY KEY NOT NULL);\n`);
      let r = await run('diff');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /createTable\('tags'/);
      r = await run('diff', '--exit-code', '--json');
      assert.equal(r.code, 1);
      const doc = r.json<{ empty: boolean; file: null; up: { kind: string }[] }>();
      assert.equal(doc.empty, false);
      assert.equal(doc.file, null);
      assert.deepEqual(
        doc.up.map((o) => o.kind),
        ['createTable'],
      );
      assert.deepEqual(fs.readdirSync(dir), ['001_users.sql'], 'diff writes nothing');
    });

    it('generate writes the migration (--json names it); apply takes it; generate again finds nothing', async () => {
      let r = await run('generate', 'add_tags', '--json');
      assert.equal(r.code, 0, r.stderr);
      const doc = r.json<{ file: string; id: string; down: unknown[]; fingerprint: { desired: string } }>();
      assert.match(path.basename(doc.file), /^\d{14}_add_tags\.ts$/);
      assert.ok(fs.existsSync(doc.file));
      assert.ok(doc.down);
      r = await run('apply', '--json');
      assert.equal(r.code, 0, r.stderr);
      r = await run('doctor', '--json');
      assert.equal(r.json<{ matches: string }>().matches, doc.id, r.stdout);
      r = await run('generate', 'again');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Nothing to generate/);
      assert.equal(fs.readdirSync(dir).length, 2);
    });

    it('a missing schema file: SCHEMA_FILE_MISSING, exit 1', async () => {
      const r = await run('generate', 'x', '--schema-file', 'nowhere.sql', '--json');
      assertFails(r, 'SCHEMA_FILE_MISSING', 1);
      assert.equal(fs.readdirSync(dir).length, 2);
    });

    it('a schema file that does not run: SCHEMA_FILE_FAILED naming the statement, exit 1', async () => {
      const bad = path.join(db.dir, 'bad.sql');
      fs.writeFileSync(bad, 'CREATE TABLE ok (id INTEGER);\nCREATE TABLE broken (id INTEGER REFERENCES;\n');
      const r = await run('diff', '--schema-file', bad, '--json');
      const e = assertFails(r, 'SCHEMA_FILE_FAILED', 1);
      assert.match(e.message, /statement: CREATE TABLE broken/);
    });

    it('a schema.ts that exports no definition: BAD_SCHEMA_FILE, exit 1', async () => {
      const bad = path.join(db.dir, 'bad-schema.ts');
      fs.writeFileSync(bad, 'export default 42;\n');
      assertFails(await run('diff', '--schema-file', bad, '--json'), 'BAD_SCHEMA_FILE', 1);
    });

    it('a rename the schemas do not bear out: BAD_RENAME, exit 1', async () => {
      const r = await run('diff', '--rename', 'nosuch=other', '--json');
      assertFails(r, 'BAD_RENAME', 1);
    });

    it('a migration that does not replay: GENERATE_REPLAY_FAILED, exit 1', async () => {
      const broken = writeMigrations(db.dir, { '001_bad.sql': sqlMigration('CREATE TABLE;') }, 'broken');
      const r = await cli(
        ['generate', 'x', '--url', db.url, '--dir', broken, '--schema-file', schemaFile(), '--json'],
        { cwd: db.dir },
      );
      assertFails(r, 'GENERATE_REPLAY_FAILED', 1);
      assert.deepEqual(fs.readdirSync(broken), ['001_bad.sql']);
    });

    it('a database that does not exist: DB_NOT_FOUND for pull, exit 1, nothing created', async () => {
      if (dialect !== 'sqlite') return;
      const missing = path.join(db.dir, 'missing.sqlite');
      const r = await cli(['pull', '--url', `sqlite:${missing}`, '--dir', dir, '--json'], { cwd: db.dir });
      assertFails(r, 'DB_NOT_FOUND', 1);
      assert.ok(!fs.existsSync(missing));
    });

    it('a migrations folder that cannot be made: CANNOT_WRITE_MIGRATION, exit 1', async () => {
      // Its parent is a file: no folder can be made there, whoever runs the test.
      const file = path.join(db.dir, 'not-a-folder');
      fs.writeFileSync(file, '');
      const r = await cli(
        [
          'generate',
          'x',
          '--url',
          db.url,
          '--dir',
          path.join(file, 'migrations'),
          '--schema-file',
          schemaFile(),
          '--json',
        ],
        { cwd: db.dir },
      );
      assertFails(r, 'CANNOT_WRITE_MIGRATION', 1);
    });
  });
}

describe('generate refuses what it cannot express or verify (PostgreSQL)', onlyOn('postgres'), () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('postgres');
  });
  after(() => db.drop());

  const projectOf = (sub: string, before: string, desired: string) => {
    const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(before) }, sub);
    const file = path.join(db.dir, `${sub}.sql`);
    fs.writeFileSync(file, desired);
    return ['--url', db.url, '--dir', dir, '--schema-file', file, '--json'];
  };

  it('an enum an array column uses, losing a value: GENERATE_UNEXPRESSIBLE, exit 1', async () => {
    const args = projectOf(
      'enum',
      "CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE t (id integer PRIMARY KEY, moods mood[]);",
      "CREATE TYPE mood AS ENUM ('a');\nCREATE TABLE t (id integer PRIMARY KEY, moods mood[]);",
    );
    const e = assertFails(await cli(['generate', 'x', ...args]), 'GENERATE_UNEXPRESSIBLE', 1);
    assert.match(e.message, /mood/);
  });

  it('a value added to an enum an array column uses: written without a down, verified on the replay', async () => {
    const args = projectOf(
      'nodown',
      "CREATE TYPE mood AS ENUM ('a', 'b');\nCREATE TABLE t (id integer PRIMARY KEY, moods mood[]);",
      "CREATE TYPE mood AS ENUM ('a', 'b', 'c');\nCREATE TABLE t (id integer PRIMARY KEY, moods mood[]);",
    );
    linkPackage(db.dir);
    const r = await cli(['generate', 'add_c', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const doc = r.json<{ down: unknown; irreversible: string[]; verifiedOn: string; file: string }>();
    assert.equal(doc.down, null);
    assert.equal(doc.verifiedOn, 'replay');
    assert.match(doc.irreversible.join('\n'), /array column/);
    assert.match(fs.readFileSync(doc.file, 'utf8'), /there is no down/);
  });

  it('a type change PostgreSQL cannot cast: GENERATE_UNVERIFIED, exit 1, nothing written', async () => {
    const args = projectOf(
      'cast',
      'CREATE TABLE t (id integer PRIMARY KEY, flag boolean);',
      'CREATE TABLE t (id integer PRIMARY KEY, flag bigint);',
    );
    const e = assertFails(await cli(['generate', 'x', ...args]), 'GENERATE_UNVERIFIED', 1);
    assert.match(e.message, /cannot cast type boolean to bigint/);
    assert.deepEqual(fs.readdirSync(path.join(db.dir, 'cast')), ['001_before.sql']);
  });
});

describe('generate refuses what it cannot express (MySQL)', onlyOn('mysql'), () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('mysql');
  });
  after(() => db.drop());

  it("a table's default collation changes: GENERATE_UNEXPRESSIBLE, exit 1, nothing written", async () => {
    const dir = writeMigrations(db.dir, {
      '001_before.sql': sqlMigration(
        'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(9)) COLLATE utf8mb4_general_ci;',
      ),
    });
    const file = path.join(db.dir, 'schema.sql');
    fs.writeFileSync(file, 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(9)) COLLATE utf8mb4_bin;\n');
    const r = await cli(['generate', 'x', '--url', db.url, '--dir', dir, '--schema-file', file, '--json']);
    const e = assertFails(r, 'GENERATE_UNEXPRESSIBLE', 1);
    assert.match(e.message, /Table t changes in a way ALTER TABLE cannot make/);
    assert.deepEqual(fs.readdirSync(dir), ['001_before.sql']);
  });
});
