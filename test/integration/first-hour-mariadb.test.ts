// What a newcomer trying dbdoctor on MariaDB from the README ran into, each on every dialect
// where it applies.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { addColumn, createTable, dropColumn, type Operation, sql } from '../../src/index.js';
import {
  capabilitiesOf,
  cli,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  type TestDatabase,
  tableNames,
} from '../helpers/databases.js';
import { createToolTable, recordAsTool } from '../helpers/tool-history.js';

function write(db: TestDatabase, files: Record<string, string>, sub = 'migrations'): string {
  const dir = path.join(db.dir, sub);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const ops = (list: Operation[], extra: Record<string, unknown> = {}) =>
  `export default ${JSON.stringify({ ops: list, ...extra })};\n`;

const table = (name: string) => createTable(name, { columns: { id: { type: 'integer', primaryKey: true } } });

interface HistoryJson {
  applied: { id: string; status: string; statementsDone: number; statementsTotal: number }[];
}

for (const dialect of DIALECTS) {
  describe(`first hour on ${dialect}`, () => {
    it('a failed DSL migration names its statement of the real total; history records the total', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_ok.ts': ops([table('t0'), table('t00'), table('t000')]),
          // The second statement fails on every dialect (the table exists).
          '002_bad.ts': ops([
            table('t1'),
            sql('CREATE TABLE t1 (x INTEGER)', 'DROP TABLE t1'),
            table('t4'),
            table('t5'),
          ]),
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /failed \(up\) at statement 2 of 4\b/);
        const h = await cli(['history', '--json', '--url', db.url, '--dir', dir]);
        const rows = h.json<HistoryJson>().applied;
        const ok = rows.find((row) => row.id === '001')!;
        assert.equal(ok.statementsTotal, 3, 'a finished DSL migration records its statement count');
        assert.equal(ok.statementsDone, 3);
        const bad = rows.find((row) => row.id === '002');
        if (bad) {
          // Outside a transaction (DDL is not transactional): partially applied, 1 of 4 done.
          assert.equal(bad.statementsTotal, 4);
          assert.equal(bad.statementsDone, 1);
          const s = await cli(['status', '--url', db.url, '--dir', dir]);
          assert.match(s.stdout + s.stderr, /stopped after 1 of 4 statements/);
        }
      } finally {
        await db.drop();
      }
    });

    it('a failed TS migration names the statement it was on, never a made-up "of N"', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_code.mjs': `export default {
  async up(db) {
    await db.sql('CREATE TABLE m1 (id INTEGER)');
    await db.sql('CREATE TABLE m1 (id INTEGER)');
    await db.sql('CREATE TABLE m2 (id INTEGER)');
  },
  async down(db) { await db.sql('DROP TABLE m1'); },
};
`,
        });
        const r = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /at statement 2\b/);
        assert.doesNotMatch(r.stderr, /statement \d+ of \d+/);
        const s = await cli(['status', '--url', db.url, '--dir', dir]);
        assert.doesNotMatch(s.stdout + s.stderr, /of 0 statements/);
      } finally {
        await db.drop();
      }
    });
  });
}

const KNEX_MIGRATION = `exports.up = function (knex) {
  return knex.schema.createTable('users', function (table) {
    table.increments('id');
    table.string('email');
  });
};

exports.down = function (knex) {
  return knex.schema.dropTable('users');
};
`;

for (const dialect of DIALECTS) {
  describe(`Knex's own migrations on ${dialect}`, () => {
    it('a Knex project (knexfile beside): every command says the .js files are Knex migrations, not run', async () => {
      const db = await createTestDatabase(dialect);
      try {
        fs.writeFileSync(path.join(db.dir, 'knexfile.js'), "module.exports = { client: 'pg' };\n");
        write(db, { '20240101120000_create_users.js': KNEX_MIGRATION });
        for (const command of ['status', 'lint', 'doctor', 'apply', 'adopt']) {
          const r = await cli([command, '--url', db.url], { cwd: db.dir });
          assert.equal(r.code, 1, `${command}: ${r.stdout}${r.stderr}`);
          assert.match(
            r.stderr,
            /UNCOVERED_MIGRATION_FILE.*20240101120000_create_users\.js: a Knex migration/s,
            command,
          );
          assert.match(r.stderr, /adopt --from knex/, command);
        }
        assert.ok(!(await tableNames(db)).includes('users'), 'nothing ran');
        // Rewritten for dbdoctor under the same stem, it runs though the knexfile is still there.
        write(db, {
          '20240101120000_create_users.js':
            "export default { async up(db) { await db.sql('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)'); }, async down(db) { await db.sql('DROP TABLE users'); } };\n",
        });
        const ok = await cli(['apply', '--url', db.url], { cwd: db.dir });
        assert.equal(ok.code, 0, ok.stderr);
      } finally {
        await db.drop();
      }
    });

    it("adopt --from knex: a file knex_migrations names that is still Knex's is refused as such, not a schema mismatch", async () => {
      const db = await createTestDatabase(dialect);
      try {
        write(db, { '20240101120000_create_users.js': KNEX_MIGRATION });
        await rawQuery(db, 'CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255))');
        await createToolTable(db, 'knex');
        await recordAsTool(db, 'knex', db.dir, [
          { version: '20240101120000_create_users.js', file: 'migrations/20240101120000_create_users.js' },
        ]);
        const r = await cli(['adopt', '--from', 'knex', '--url', db.url], { cwd: db.dir });
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr,
          /UNCOVERED_MIGRATION_FILE.*still Knex's own migration.*20240101120000_create_users\.js/s,
        );
        assert.match(r.stderr, /adopt --from knex/);
        assert.doesNotMatch(r.stderr, /ADOPT_SCHEMA_MISMATCH/);
        assert.ok(!(await tableNames(db)).includes('dbdoctor_migrations'), 'nothing recorded');
      } finally {
        await db.drop();
      }
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`apply and status after a failure part-way on ${dialect}`, () => {
    it('a failed apply says what it applied before, the database and the revision it is at (text and --json)', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n',
          '002_b.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nSELECT 1;\n',
        });
        const r = await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout, /^database: \w+:/m);
        assert.match(r.stdout, /^applied 001_a \(\d+ ms\)$/m);
        assert.match(r.stdout, /^database is at 001 /m);
        assert.match(r.stderr, /Applied and recorded before it: 001_a\./);
        assert.match(r.stderr, /revision[^.]*\b001\b/);
        await rawQuery(db, 'DROP TABLE a');
        await rawQuery(db, 'DROP TABLE dbdoctor_migrations');
        await rawQuery(db, 'DROP TABLE IF EXISTS dbdoctor_migrations_lock'); // SQLite's and MySQL's lock owner row
        const j = await cli(['apply', '--json', '--no-backup', '--url', db.url, '--dir', dir]);
        assert.equal(j.code, 1, j.stderr);
        const error = j.json<{ error: { applied: { id: string }[]; revision: string; database: string } }>()
          .error;
        assert.deepEqual(
          error.applied.map((a) => a.id),
          ['001'],
        );
        assert.equal(error.revision, '001');
        assert.match(error.database, /^\w+:/);
      } finally {
        await db.drop();
      }
    });

    it('status counts a partially applied migration apart from the applied ones', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n',
          '002_b.sql':
            '-- migrate:up transaction:false\nCREATE TABLE b (id INTEGER);\nCREATE TABLE a (id INTEGER);\nCREATE TABLE c (id INTEGER);\n\n-- migrate:down\nDROP TABLE b;\n',
        });
        assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 1);
        const s = await cli(['status', '--url', db.url, '--dir', dir]);
        assert.match(s.stdout, /^current: {2}001$/m);
        assert.match(s.stdout, /^applied: {2}1$/m);
        assert.match(
          s.stdout,
          /^partial: {2}1 .*\n {2}002_b: partially applied, 1 of 3 statement\(s\) done$/m,
        );
        const doc = (await cli(['status', '--json', '--url', db.url, '--dir', dir])).json<{
          applied: { id: string }[];
          partial: { id: string; statementsDone: number; statementsTotal: number }[];
        }>();
        assert.deepEqual(
          doc.applied.map((a) => a.id),
          ['001'],
        );
        assert.deepEqual(
          doc.partial.map((p) => [p.id, p.statementsDone, p.statementsTotal]),
          [['002', 1, 3]],
        );
      } finally {
        await db.drop();
      }
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`lint on ${dialect}`, () => {
    it('shows every finding at once (irreversible too), and words NOT NULL without a default as the database acts', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_t.sql':
            "-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY, old TEXT);\nINSERT INTO t (id, old) VALUES (1, 'x');\n\n-- migrate:down\nDROP TABLE t;\n",
        });
        assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 0);
        write(db, {
          '002_change.ts': ops([
            addColumn('t', 'code', { type: 'integer', nullable: false }),
            dropColumn('t', 'old'),
            sql('UPDATE t SET code = 1'),
          ]),
        });
        const r = await cli(['lint', '--json', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        const findings = r.json<{ findings: { id: string; message: string }[] }>().findings;
        const ids = findings.map((f) => f.id).sort();
        for (const id of ['irreversible', 'not-null-without-default', 'data-loss', 'breaking-change'])
          assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
        const notNull = findings.find((f) => f.id === 'not-null-without-default')!.message;
        if (capabilitiesOf(dialect).addNotNullFillsImplicitDefault) {
          assert.match(notNull, /implicit default/);
          assert.doesNotMatch(notNull, /fails/);
        } else assert.match(notNull, /fails \(existing rows would be NULL\)/);
      } finally {
        await db.drop();
      }
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`DSL operation objects on ${dialect}`, () => {
    it('an unknown key is refused naming it and the accepted ones; autoIncrement numbers rows everywhere; ops: [] is refused', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const bad = {
          kind: 'createTable',
          table: 'items',
          spec: {
            columns: { id: { type: 'integer', primaryKey: true, identity: true }, name: { type: 'text' } },
          },
        };
        const dir = write(db, { '001_items.ts': `export default ${JSON.stringify({ ops: [bad] })};\n` });
        for (const command of ['apply', 'lint']) {
          const r = await cli([command, '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1, r.stderr);
          assert.match(
            r.stderr + r.stdout,
            /column "id" has the key `identity`.*did you mean `autoIncrement`\?.*accepted: type, nullable/s,
          );
        }
        assert.ok(!(await tableNames(db)).includes('items'), 'nothing ran');
        const good = createTable('items', {
          columns: { id: { type: 'integer', primaryKey: true, autoIncrement: true }, name: { type: 'text' } },
        });
        write(db, { '001_items.ts': ops([good]) });
        const ok = await cli(['apply', '--url', db.url, '--dir', dir]);
        assert.equal(ok.code, 0, ok.stderr);
        await rawQuery(db, "INSERT INTO items (name) VALUES ('a')");
        await rawQuery(db, "INSERT INTO items (name) VALUES ('b')");
        assert.deepEqual(
          (await rawQuery(db, 'SELECT id FROM items ORDER BY id')).map((r) => Number(r.id)),
          [1, 2],
        );
        write(db, { '002_empty.ts': ops([]) });
        for (const command of ['apply', 'lint']) {
          const r = await cli([command, '--url', db.url, '--dir', dir]);
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr + r.stdout, /EMPTY_MIGRATION|no operations/);
        }
        const s = await cli(['status', '--json', '--url', db.url, '--dir', dir]);
        assert.deepEqual(
          s.json<{ pending: { id: string }[] }>().pending.map((p) => p.id),
          ['002'],
        );
      } finally {
        await db.drop();
      }
    });
  });
}

const README = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('what the README and --help say to a MySQL newcomer', () => {
  it('db.dialect, the DSL template and new --help name MySQL; sessions document close()', async () => {
    assert.match(README, /`db\.dialect` is\s+`'sqlite'`, `'postgres'` or `'mysql'`/);
    assert.match(README, /await sessions\.close\(\);/);
    assert.match(README, /\*\*`close\(\)`\*\*.*does not\s+exit/s);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-first-hour-'));
    try {
      const help = await cli(['new', '--help']);
      assert.doesNotMatch(help.stdout, /both dialects/);
      const r = await cli(['new', 'start', '--dsl', '--dir', path.join(cwd, 'migrations')]);
      assert.equal(r.code, 0, r.stderr);
      const [file] = fs.readdirSync(path.join(cwd, 'migrations'));
      const text = fs.readFileSync(path.join(cwd, 'migrations', file!), 'utf8');
      assert.match(text, /MySQL/);
      assert.match(text, /autoIncrement: true/);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('init adds backups/ to .gitignore only where the database has online backups', async () => {
    for (const dialect of DIALECTS) {
      const db = await createTestDatabase(dialect);
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-first-hour-'));
      try {
        fs.writeFileSync(path.join(cwd, '.gitignore'), 'node_modules\n');
        const r = await cli(['init', '--url', db.url], { cwd });
        assert.equal(r.code, 0, r.stderr);
        const ignore = fs.readFileSync(path.join(cwd, '.gitignore'), 'utf8');
        if (capabilitiesOf(dialect).onlineBackup) assert.match(ignore, /^backups\/$/m, dialect);
        else assert.equal(ignore, 'node_modules\n', `${dialect}: no backups there`);
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
        await db.drop();
      }
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`doctor, history and errors on ${dialect}`, () => {
    it('history lines up its columns', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n',
          '002_a_much_longer_name.sql':
            '-- migrate:up\nCREATE TABLE b (id INTEGER);\n\n-- migrate:down\nDROP TABLE b;\n',
        });
        assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 0);
        const h = await cli(['history', '--url', db.url, '--dir', dir]);
        assert.equal(h.code, 0, h.stderr);
        const lines = h.stdout.trimEnd().split('\n');
        assert.equal(lines.length, 3, h.stdout);
        const at = (line: string, word: RegExp) => line.search(word);
        const column = lines.map((l, i) => (i === 0 ? at(l, /applied at/) : at(l, /\d{4}-\d\d-\d\d/)));
        assert.equal(new Set(column).size, 1, `the applied-at column starts at one offset:\n${h.stdout}`);
        const status = lines.map((l, i) => (i === 0 ? at(l, /status/) : at(l, /applied {2}/)));
        assert.equal(new Set(status).size, 1, `the status column starts at one offset:\n${h.stdout}`);
      } finally {
        await db.drop();
      }
    });

    it('NO_HISTORY with no revision near names adopt and pull --baseline', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n',
        });
        await rawQuery(db, 'CREATE TABLE legacy (id INTEGER PRIMARY KEY, v TEXT)');
        const r = await cli(['doctor', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout + r.stderr, /NO_HISTORY/);
        assert.match(r.stdout + r.stderr, /dbdoctor adopt/);
        assert.match(r.stdout + r.stderr, /dbdoctor pull --baseline/);
      } finally {
        await db.drop();
      }
    });

    it('drift outside tables is headed by what it is (functions), not "Types and views"', {
      skip: dialect === 'sqlite' ? 'SQLite has no functions' : false,
    }, async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = write(db, {
          '001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n\n-- migrate:down\nDROP TABLE a;\n',
        });
        assert.equal((await cli(['apply', '--no-backup', '--url', db.url, '--dir', dir])).code, 0);
        await rawQuery(
          db,
          dialect === 'postgres'
            ? "CREATE FUNCTION f1() RETURNS integer LANGUAGE sql AS 'SELECT 1'"
            : 'CREATE FUNCTION f1() RETURNS INT DETERMINISTIC RETURN 1',
        );
        const r = await cli(['doctor', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout + r.stderr, /SCHEMA_DRIFT\] Functions differ from the migrations at 001/);
        assert.doesNotMatch(r.stdout + r.stderr, /Types and views/);
      } finally {
        await db.drop();
      }
    });

    it('a server that does not answer: read-only status says nothing was changed', {
      skip: dialect === 'sqlite' ? 'no server' : false,
    }, async () => {
      // A port nothing listens on (1 is reserved and closed).
      const url = dialect === 'postgres' ? 'postgres://postgres@127.0.0.1:1/x' : 'mysql://root@127.0.0.1:1/x';
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-first-hour-'));
      try {
        fs.mkdirSync(path.join(cwd, 'migrations'));
        const r = await cli(['status', '--url', url], { cwd });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /DB_UNREACHABLE/);
        assert.match(r.stderr, /Nothing was changed/);
        assert.doesNotMatch(
          r.stderr,
          /rolls back an unfinished transaction when its connection ends; statements/,
        );
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    });
  });
}
