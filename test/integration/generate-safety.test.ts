/**
 * What `generate` writes does what the user asked and no more to the rows already there: the
 * verification runs on empty tables, so each case here puts rows in first and applies the
 * generated migration (and its down) to them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateMigration } from '../../src/generate/generate.js';
import { migrate } from '../../src/migrations/apply.js';
import { rollback } from '../../src/migrations/rollback.js';
import {
  cli,
  createTestDatabase,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

const databases: TestDatabase[] = [];

after(async () => {
  for (const db of databases) await db.drop();
});

/** A project at `before` (one SQL migration, applied) with `rows` in it and schema.sql `desired`. */
async function project(dialect: TestDialect, before: string, rows: string, desired: string) {
  const db = await createTestDatabase(dialect);
  databases.push(db);
  linkPackage(db.dir);
  const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(before) });
  const options = { database: db.url, dir, backup: { enabled: false } } as const;
  await migrate(options);
  if (rows) await rawExec(db, rows);
  const schemaFile = path.join(db.dir, 'schema.sql');
  fs.writeFileSync(schemaFile, `${desired}\n`);
  return { db, dir, options, schemaFile };
}

describe('generate: narrowing a column type on MySQL', onlyOn('mysql'), () => {
  it('generate says what MODIFY cuts or rounds; apply says it again, and strict mode refuses what does not fit', async () => {
    const p = await project(
      'mysql',
      'CREATE TABLE accounts (id int PRIMARY KEY, email varchar(100) NOT NULL, balance decimal(10,2));',
      "INSERT INTO accounts VALUES (1, 'dave@example.com', 10.75);",
      'CREATE TABLE accounts (id int PRIMARY KEY, email varchar(3) NOT NULL, balance int);',
    );
    const r = await generateMigration({ ...p.options, name: 'narrow', schemaFile: p.schemaFile });
    const loss = r.lint.filter((f) => f.id === 'data-loss').map((f) => f.message);
    assert.ok(
      loss.some((m) =>
        /accounts\.email from varchar\(100\) to varchar\(3\): values longer than 3 characters make it fail/.test(
          m,
        ),
      ),
      loss.join('\n'),
    );
    assert.ok(
      loss.some((m) => /accounts\.balance from decimal\(10,2\) to int: fractions are rounded/.test(m)),
      loss.join('\n'),
    );
    assert.match(r.code ?? '', /DATA LOSS: This migration changes accounts\.email/);
    const applied = await cli(['apply', '--url', p.db.url, '--dir', p.dir, '--no-backup'], { cwd: p.db.dir });
    assert.equal(applied.code, 1);
    assert.match(applied.stderr, /warning \[data-loss\] \d+_narrow: DATA LOSS: changing "accounts"\."email"/);
    assert.match(applied.stderr, /Data too long for column 'email'/);
    assert.deepEqual(await rawQuery(p.db, 'SELECT id, email, balance FROM accounts'), [
      { id: 1, email: 'dave@example.com', balance: '10.75' },
    ]);
  });
});

describe('generate: narrowing a column type on PostgreSQL', onlyOn('postgres'), () => {
  const BEFORE =
    'CREATE TABLE accounts (id int PRIMARY KEY, email varchar(100) NOT NULL, balance numeric(10,2));';
  const AFTER = 'CREATE TABLE accounts (id int PRIMARY KEY, email varchar(3) NOT NULL, balance integer);';

  it('no USING cast where an assignment cast exists: a value that does not fit fails the apply, and the data stays', async () => {
    const p = await project(
      'postgres',
      BEFORE,
      "INSERT INTO accounts VALUES (1, 'dave@example.com', 10.75);",
      AFTER,
    );
    const r = await generateMigration({ ...p.options, name: 'narrow', schemaFile: p.schemaFile });
    assert.doesNotMatch(r.code ?? '', /USING/, r.code ?? '');
    const loss = r.lint.filter((f) => f.id === 'data-loss').map((f) => f.message);
    assert.ok(
      loss.some((m) =>
        /accounts\.email from varchar\(100\) to varchar\(3\): values longer than 3 characters make it fail/.test(
          m,
        ),
      ),
      loss.join('\n'),
    );
    assert.ok(
      loss.some((m) => /accounts\.balance from numeric\(10,2\) to integer: fractions are rounded/.test(m)),
      loss.join('\n'),
    );
    assert.ok(
      loss.some((m) => /^DATA LOSS: Its down changes accounts\.balance/.test(m)),
      loss.join('\n'),
    );
    assert.match(r.code ?? '', /DATA LOSS: This migration changes accounts\.email/);
    await assert.rejects(migrate(p.options), /value too long for type character varying\(3\)/);
    assert.deepEqual(await rawQuery(p.db, 'SELECT id, email, balance::text AS balance FROM accounts'), [
      { id: 1, email: 'dave@example.com', balance: '10.75' },
    ]);
  });

  it('rows that fit migrate, and the down (text back to varchar(n)) fails rather than cuts', async () => {
    const p = await project(
      'postgres',
      'CREATE TABLE notes (id int PRIMARY KEY, body varchar(5));',
      "INSERT INTO notes VALUES (1, 'abc');",
      'CREATE TABLE notes (id int PRIMARY KEY, body text);',
    );
    const r = await generateMigration({ ...p.options, name: 'widen', schemaFile: p.schemaFile });
    assert.doesNotMatch(r.code ?? '', /USING/, r.code ?? '');
    assert.ok(
      r.lint.some((f) =>
        /^DATA LOSS: Its down changes notes\.body from text to varchar\(5\)/.test(f.message),
      ),
    );
    await migrate(p.options);
    await rawExec(p.db, "INSERT INTO notes VALUES (2, 'longer than five')");
    await assert.rejects(
      rollback({ ...p.options, steps: 1 }),
      /value too long for type character varying\(5\)/,
    );
    assert.deepEqual(await rawQuery(p.db, 'SELECT body FROM notes ORDER BY id'), [
      { body: 'abc' },
      { body: 'longer than five' },
    ]);
    await rawExec(p.db, 'DELETE FROM notes WHERE id = 2');
    await rollback({ ...p.options, steps: 1 });
    assert.deepEqual(await rawQuery(p.db, 'SELECT body FROM notes'), [{ body: 'abc' }]);
  });

  it('a type with no assignment cast keeps its USING cast (text to integer)', async () => {
    const p = await project(
      'postgres',
      'CREATE TABLE t (id int PRIMARY KEY, n varchar(10));',
      "INSERT INTO t VALUES (1, '42');",
      'CREATE TABLE t (id int PRIMARY KEY, n integer);',
    );
    const r = await generateMigration({ ...p.options, name: 'to_int', schemaFile: p.schemaFile });
    assert.match(r.code ?? '', /USING "n"::integer/);
    await migrate(p.options);
    assert.deepEqual(await rawQuery(p.db, 'SELECT n FROM t'), [{ n: 42 }]);
  });
});

describe('generate: serial to identity and back on PostgreSQL', onlyOn('postgres'), () => {
  it('the numbering goes on in both directions: the next INSERT gets the next id', async () => {
    const p = await project(
      'postgres',
      'CREATE TABLE "Post" (id SERIAL PRIMARY KEY, title text);',
      `INSERT INTO "Post"(title) VALUES ('a'), ('b'), ('c');`,
      'CREATE TABLE "Post" (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, title text);',
    );
    const r = await generateMigration({ ...p.options, name: 'to_identity', schemaFile: p.schemaFile });
    assert.notEqual(r.down, null, r.irreversible.join('\n'));
    const next = async (title: string) =>
      Number((await rawQuery(p.db, 'INSERT INTO "Post"(title) VALUES ($1) RETURNING id', [title]))[0].id);
    await migrate(p.options);
    assert.equal(await next('d'), 4);
    await rollback({ ...p.options, steps: 1 });
    assert.equal(await next('e'), 5);
    await migrate(p.options);
    assert.equal(await next('f'), 6);
  });

  it('identity ALWAYS to BY DEFAULT keeps its sequence', async () => {
    const p = await project(
      'postgres',
      'CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, x text);',
      "INSERT INTO t(x) VALUES ('a'), ('b');",
      'CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, x text);',
    );
    const r = await generateMigration({ ...p.options, name: 'by_default', schemaFile: p.schemaFile });
    assert.doesNotMatch(r.code ?? '', /DROP IDENTITY/, r.code ?? '');
    const next = async (x: string) =>
      Number((await rawQuery(p.db, 'INSERT INTO t(x) VALUES ($1) RETURNING id', [x]))[0].id);
    await migrate(p.options);
    assert.equal(await next('c'), 3);
    await rollback({ ...p.options, steps: 1 });
    assert.equal(await next('d'), 4);
  });
});

describe("generate: DEFAULT 'now' in schema.sql on PostgreSQL", onlyOn('postgres'), () => {
  it('settles: the migration says now as written, and a second generate is empty', async () => {
    const p = await project(
      'postgres',
      'CREATE TABLE base (id int PRIMARY KEY);',
      '',
      "CREATE TABLE base (id int PRIMARY KEY, ts timestamptz DEFAULT 'now');",
    );
    const r = await generateMigration({ ...p.options, name: 'g1', schemaFile: p.schemaFile });
    assert.doesNotMatch(r.code ?? '', /\d{4}-\d{2}-\d{2}/, 'no moment of generate frozen into the migration');
    await migrate(p.options);
    const again = await generateMigration({ ...p.options, name: 'g2', schemaFile: p.schemaFile });
    assert.equal(again.empty, true, again.code ?? '');
    const diff = await cli(['diff', '--exit-code', '--url', p.db.url, '--dir', p.dir], { cwd: p.db.dir });
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  });
});

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`generate on ${dialect}: what goes with its data`, () => {
    const USERS = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);';
    const PEOPLE = 'CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL, phone TEXT);';
    const ROWS = "INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x');";

    it('a table renamed and changed in one edit is a rename candidate; confirmed, the rows stay', async () => {
      const p = await project(dialect, USERS, ROWS, PEOPLE);
      const asked: string[] = [];
      const r = await generateMigration({
        ...p.options,
        name: 'people',
        schemaFile: p.schemaFile,
        confirmRename: async (c) => {
          asked.push(c.question);
          return true;
        },
      });
      assert.deepEqual(asked, [
        'Is table users renamed to people (and its columns changed: + phone)? (otherwise users is dropped with its rows)',
      ]);
      assert.deepEqual(r.renames, [{ kind: 'table', from: 'users', to: 'people' }]);
      assert.doesNotMatch(r.code ?? '', /dropTable|DROP TABLE/);
      await migrate(p.options);
      assert.deepEqual(await rawQuery(p.db, 'SELECT id, email, phone FROM people ORDER BY id'), [
        { id: 1, email: 'a@x', phone: null },
        { id: 2, email: 'b@x', phone: null },
      ]);
    });

    it('unconfirmed, it is reported; the drop says DATA LOSS in generate, the file and apply', async () => {
      const p = await project(dialect, USERS, ROWS, PEOPLE);
      const r = await generateMigration({ ...p.options, name: 'people', schemaFile: p.schemaFile });
      assert.deepEqual(
        r.possibleRenames.map((c) => c.rename),
        [{ kind: 'table', from: 'users', to: 'people' }],
      );
      assert.ok(
        r.lint.some((f) => f.message === 'DATA LOSS: This migration drops table users and every row in it.'),
      );
      assert.match(r.code ?? '', /\/\/ DATA LOSS: This migration drops table users and every row in it\./);
    });

    // MySQL's generated migration drops with sql(), judged by its SQL linter.
    it('apply of the generated drop on a table with rows prints DATA LOSS (exit 0)', async () => {
      const p = await project(dialect, USERS, ROWS, PEOPLE);
      await generateMigration({ ...p.options, name: 'people', schemaFile: p.schemaFile });
      const applied = await cli(['apply', '--url', p.db.url, '--dir', p.dir, '--no-backup'], {
        cwd: p.db.dir,
      });
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(
        applied.stderr,
        /warning \[data-loss\] \d+_people: DATA LOSS: dropping table "users" deletes its 2 rows\./,
      );
    });

    it('a column renamed and retyped in one edit is a rename candidate; confirmed, the values stay', async () => {
      const p = await project(
        dialect,
        'CREATE TABLE t (id INTEGER PRIMARY KEY, qty INTEGER);',
        'INSERT INTO t VALUES (1, 5);',
        'CREATE TABLE t (id INTEGER PRIMARY KEY, quantity BIGINT);',
      );
      const asked: string[] = [];
      const r = await generateMigration({
        ...p.options,
        name: 'quantity',
        schemaFile: p.schemaFile,
        confirmRename: async (c) => {
          asked.push(c.question);
          return true;
        },
      });
      assert.equal(asked.length, 1);
      assert.match(
        asked[0]!,
        /^Is column t\.qty renamed to quantity \(and its type changed from \w+ to bigint\)\? \(otherwise qty is dropped with its data\)$/,
      );
      assert.deepEqual(r.renames, [{ kind: 'column', table: 't', from: 'qty', to: 'quantity' }]);
      await migrate(p.options);
      assert.deepEqual(
        (await rawQuery(p.db, 'SELECT id, quantity FROM t')).map((x) => Number(x.quantity)),
        [5],
      );
    });

    it('the down of a dropped NOT NULL column without default: no down (it would fail on rows), said why', async () => {
      const p = await project(
        dialect,
        'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER NOT NULL);',
        'INSERT INTO orders VALUES (1, 5), (2, 6);',
        'CREATE TABLE orders (id INTEGER PRIMARY KEY);',
      );
      const r = await generateMigration({ ...p.options, name: 'drop_total', schemaFile: p.schemaFile });
      assert.equal(r.down, null, r.code ?? '');
      assert.match(r.irreversible.join('\n'), /orders\.total back NOT NULL without a default/);
      assert.match(r.code ?? '', /DATA LOSS: This migration drops column orders\.total/);
      await migrate(p.options);
      assert.deepEqual(
        (await rawQuery(p.db, 'SELECT id FROM orders ORDER BY id')).map((x) => Number(x.id)),
        [1, 2],
      );
      await assert.rejects(rollback({ ...p.options, steps: 1 }), /no down/);
    });

    it('preflight: rows the change rejects on the live database are counted and reported', async () => {
      const p = await project(
        dialect,
        'CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, email TEXT);',
        "INSERT INTO a VALUES (1, NULL, 'x'), (2, 'b', 'x'), (3, NULL, 'y');",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '', email TEXT UNIQUE);",
      );
      const r = await generateMigration({ ...p.options, name: 'tighten', schemaFile: p.schemaFile });
      const rejected = r.lint.filter((f) => f.id === 'rows-rejected').map((f) => f.message);
      assert.deepEqual(rejected, [
        'In the live database, 2 rows of a have name NULL, which becomes NOT NULL: applying this migration there fails.',
        'In the live database, 1 value of (email) is in more than one row of a, which becomes unique: applying this migration there fails.',
      ]);
      await rawExec(
        p.db,
        "UPDATE a SET name = 'n' WHERE name IS NULL; UPDATE a SET email = 'z' WHERE id = 2;",
      );
      const clean = await generateMigration({
        ...p.options,
        name: 'tighten2',
        schemaFile: p.schemaFile,
        write: false,
      });
      assert.deepEqual(
        clean.lint.filter((f) => f.id === 'rows-rejected'),
        [],
      );
    });
  });
}

describe('generate preflight: an enum value that goes and is used (PostgreSQL)', onlyOn('postgres'), () => {
  it('is counted and reported', async () => {
    const p = await project(
      'postgres',
      "CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh'); CREATE TABLE people (id int PRIMARY KEY, mood mood);",
      "INSERT INTO people VALUES (1, 'meh'), (2, 'happy');",
      "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE people (id int PRIMARY KEY, mood mood);",
    );
    const r = await generateMigration({
      ...p.options,
      name: 'no_meh',
      schemaFile: p.schemaFile,
      write: false,
    });
    assert.deepEqual(
      r.lint.filter((f) => f.id === 'rows-rejected').map((f) => f.message),
      [
        'In the live database, 1 row of people holds in mood a value of mood that goes (meh): applying this migration there fails.',
      ],
    );
  });
});
