/**
 * Each kind of schema change, on each dialect: `generate` from the migrations (schema A) to a
 * schema file (schema B) writes the expected operations; applied to a real database at A it
 * gives exactly B's fingerprint (B made independently, by running its SQL as a migration), and
 * its down gives exactly A's back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type GenerateResult, generateMigration, type Rename } from '../../src/generate/generate.js';
import { migrate } from '../../src/migrations/apply.js';
import { introspect } from '../../src/migrations/introspect.js';
import { rollback } from '../../src/migrations/rollback.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import {
  createTestDatabase,
  onlyOn,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

/** SQL per dialect: one text for all, or one each. */
type Sql = string | Partial<Record<TestDialect, string>>;
/**
 * One text for all, on MySQL: with the types the DSL's portable ones are there (`text` is
 * VARCHAR(255), which can be indexed; `integer` is INT), so the same changes are DSL operations.
 */
const onMysql = (s: string): string => s.replace(/\bTEXT\b/g, 'VARCHAR(255)').replace(/\bINTEGER\b/g, 'INT');
const sqlOn = (s: Sql, d: TestDialect): string => {
  if (typeof s === 'string') return d === 'mysql' ? onMysql(s) : s;
  const text = s[d];
  if (text === undefined) throw new Error(`this case has no SQL for ${d}`);
  return text;
};

const USERS = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT)';
const POSTS =
  'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT, score INTEGER)';
const BASE = `${USERS};\n${POSTS};`;
/** posts as the DSL declares it (NOT NULL on SQLite's rowid alias means what it says without it). */
const DSL_POSTS = POSTS.replace('id INTEGER PRIMARY KEY', 'id INTEGER PRIMARY KEY NOT NULL');
const MOOD = (values: string) => `CREATE TYPE mood AS ENUM (${values})`;
const MYSQL_PEOPLE = (values: string) =>
  `CREATE TABLE people (id INT PRIMARY KEY, mood ENUM(${values}) DEFAULT 'happy', name VARCHAR(255));`;
const PEOPLE = "CREATE TABLE people (id INTEGER PRIMARY KEY, mood mood DEFAULT 'happy', name TEXT);";

interface Case {
  name: string;
  /** Schema A (the migrations give it) and B (the schema file), as scripts. */
  before: Sql;
  after: Sql;
  /** Operation kinds of up and of down, in order. */
  up: string[];
  down: string[];
  renames?: Rename[];
  /** Dialects the case applies to (default: all). */
  only?: TestDialect[];
  /** Where the migration is verified (default: on the schema file's database). */
  verifiedOn?: 'replay';
  /** More to check on the result. */
  check?: (r: GenerateResult) => void;
}

const FK = (actions: string) =>
  `${USERS};\nCREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title TEXT, score INTEGER, CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id)${actions});`;

const CASES: Case[] = [
  {
    name: 'add a column',
    before: BASE,
    after: `${USERS.replace('name TEXT', 'name TEXT, age INTEGER')};\n${POSTS};`,
    up: ['addColumn'],
    down: ['dropColumn'],
  },
  {
    name: 'add a NOT NULL column with a default',
    before: BASE,
    after: `${USERS.replace('name TEXT', "name TEXT, plan TEXT NOT NULL DEFAULT 'free'")};\n${POSTS};`,
    up: ['addColumn'],
    down: ['dropColumn'],
  },
  {
    name: 'drop a column',
    before: BASE,
    after: `${USERS.replace(', name TEXT', '')};\n${POSTS};`,
    up: ['dropColumn'],
    down: ['addColumn'],
  },
  {
    name: "change a column's type",
    before: BASE,
    after: {
      sqlite: `${USERS};\n${POSTS.replace('score INTEGER', 'score REAL')};`,
      postgres: `${USERS};\n${POSTS.replace('score INTEGER', 'score double precision')};`,
      mysql: onMysql(`${USERS};\n${POSTS.replace('score INTEGER', 'score DOUBLE')};`),
    },
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'make a column nullable',
    before: BASE,
    after: `${USERS.replace('email TEXT NOT NULL', 'email TEXT')};\n${POSTS};`,
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'make a column NOT NULL',
    before: BASE,
    after: `${USERS.replace('name TEXT', 'name TEXT NOT NULL')};\n${POSTS};`,
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'add a default',
    before: BASE,
    after: `${USERS.replace('name TEXT', "name TEXT DEFAULT 'anonymous'")};\n${POSTS};`,
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'change a default',
    before: `${USERS};\n${POSTS.replace('score INTEGER', 'score INTEGER DEFAULT 0')};`,
    after: `${USERS};\n${POSTS.replace('score INTEGER', 'score INTEGER DEFAULT 10')};`,
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'add an index',
    before: BASE,
    after: `${BASE}\nCREATE INDEX posts_user_idx ON posts (user_id, title);`,
    up: ['createIndex'],
    down: ['dropIndex'],
  },
  {
    name: 'add a unique index',
    before: BASE,
    after: `${BASE}\nCREATE UNIQUE INDEX users_email_key ON users (email);`,
    up: ['createIndex'],
    down: ['dropIndex'],
  },
  {
    // MySQL and MariaDB have no partial indexes: their schema file cannot hold one (below).
    name: 'add a partial index',
    only: ['sqlite', 'postgres'],
    before: BASE,
    after: `${BASE}\nCREATE INDEX posts_scored_idx ON posts (score) WHERE score IS NOT NULL;`,
    up: ['createIndex'],
    down: ['dropIndex'],
  },
  {
    name: 'drop an index',
    before: `${BASE}\nCREATE INDEX users_name_idx ON users (name);`,
    after: BASE,
    up: ['dropIndex'],
    down: ['createIndex'],
  },
  {
    name: 'add a foreign key with actions',
    before: BASE,
    after: FK(' ON DELETE CASCADE ON UPDATE CASCADE'),
    up: ['addForeignKey'],
    down: ['dropForeignKey'],
    check: (r) =>
      assert.deepEqual(r.up[0], {
        kind: 'addForeignKey',
        table: 'posts',
        spec: {
          name: 'posts_user_fk',
          columns: ['user_id'],
          references: { table: 'users', columns: ['id'] },
          onDelete: 'CASCADE',
          onUpdate: 'CASCADE',
        },
      }),
  },
  {
    name: "change a foreign key's action",
    before: FK(' ON DELETE CASCADE'),
    after: FK(' ON DELETE RESTRICT'),
    up: ['dropForeignKey', 'addForeignKey'],
    down: ['dropForeignKey', 'addForeignKey'],
  },
  {
    name: 'drop a foreign key',
    // MySQL refuses SET NULL on a NOT NULL column.
    before: {
      sqlite: FK(' ON DELETE SET NULL'),
      postgres: FK(' ON DELETE SET NULL'),
      mysql: onMysql(FK(' ON DELETE CASCADE')),
    },
    after: BASE,
    up: ['dropForeignKey'],
    down: ['addForeignKey'],
  },
  {
    name: 'add a check',
    before: BASE,
    after: `${USERS};\n${POSTS.replace('score INTEGER', 'score INTEGER, CONSTRAINT posts_score_positive CHECK (score > 0)')};`,
    up: ['addCheck'],
    down: ['dropCheck'],
  },
  {
    name: 'add a table',
    before: USERS,
    after: `${USERS};\n${DSL_POSTS};`,
    up: ['createTable'],
    down: ['dropTable'],
  },
  {
    name: 'drop a table',
    before: `${USERS};\n${DSL_POSTS};`,
    after: USERS,
    up: ['dropTable'],
    down: ['createTable'],
  },
  {
    // SQLite reports `id INTEGER PRIMARY KEY` as nullable; the DSL's primary key columns are
    // NOT NULL, so such a table is created with SQL (still verified).
    name: 'add a table the DSL cannot declare',
    only: ['sqlite'],
    before: USERS,
    // A STRICT table: the DSL has no words for table options.
    after: `${USERS};\n${POSTS} STRICT;`,
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add an enum value at the end',
    only: ['postgres'],
    before: `${MOOD("'happy', 'sad'")};\n${PEOPLE}`,
    after: `${MOOD("'happy', 'sad', 'meh'")};\n${PEOPLE}`,
    up: ['addEnumValue'],
    down: ['sql'],
  },
  {
    name: 'add an enum value between others',
    only: ['postgres'],
    before: `${MOOD("'happy', 'sad'")};\n${PEOPLE}`,
    after: `${MOOD("'happy', 'meh', 'sad'")};\n${PEOPLE}`,
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'drop an enum value a column and its default use',
    only: ['postgres'],
    before: `${MOOD("'happy', 'sad', 'meh'")};\n${PEOPLE}`,
    after: `${MOOD("'happy', 'meh'")};\n${PEOPLE}`,
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add an enum type and a column of it',
    only: ['postgres'],
    before: BASE,
    after: `${MOOD("'happy', 'sad'")};\n${USERS.replace('name TEXT', "name TEXT, mood mood NOT NULL DEFAULT 'sad'")};\n${POSTS};`,
    up: ['createEnum', 'addColumn'],
    down: ['dropColumn', 'dropEnum'],
  },
  {
    name: 'add an enum value at the end',
    only: ['sqlite'],
    before:
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood TEXT, CONSTRAINT enum_mood__mood CHECK (mood IN ('happy', 'sad')));",
    after:
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood TEXT, CONSTRAINT enum_mood__mood CHECK (mood IN ('happy', 'sad', 'meh')));",
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  {
    name: 'drop an enum value',
    only: ['sqlite'],
    before:
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood TEXT DEFAULT 'happy', CONSTRAINT enum_mood__mood CHECK (mood IN ('happy', 'sad', 'meh')));",
    after:
      "CREATE TABLE people (id INTEGER PRIMARY KEY, mood TEXT DEFAULT 'happy', CONSTRAINT enum_mood__mood CHECK (mood IN ('happy', 'meh')));",
    up: ['alterColumn'],
    down: ['alterColumn'],
  },
  // MySQL: an enum is the column's own type (ENUM('a','b')), so a change of its values is a
  // MODIFY of the column, in SQL, and an enum column is added with SQL.
  {
    name: 'add an enum value at the end',
    only: ['mysql'],
    before: MYSQL_PEOPLE("'happy','sad'"),
    after: MYSQL_PEOPLE("'happy','sad','meh'"),
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add an enum value between others',
    only: ['mysql'],
    before: MYSQL_PEOPLE("'happy','sad'"),
    after: MYSQL_PEOPLE("'happy','meh','sad'"),
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'drop an enum value a column and its default use',
    only: ['mysql'],
    before: MYSQL_PEOPLE("'happy','sad','meh'"),
    after: MYSQL_PEOPLE("'happy','meh'"),
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add an enum column',
    only: ['mysql'],
    before: BASE,
    after: onMysql(
      `${USERS.replace('name TEXT', "name TEXT, mood ENUM('happy','sad') NOT NULL DEFAULT 'sad'")};\n${POSTS};`,
    ),
    up: ['sql'],
    down: ['dropColumn'],
  },
  {
    name: 'add a generated column',
    only: ['mysql'],
    before: BASE,
    after: onMysql(
      `${USERS};\n${POSTS.replace('score INTEGER', 'score INTEGER, double_score INTEGER AS (score * 2) STORED')};`,
    ),
    up: ['sql'],
    down: ['dropColumn'],
  },
  {
    name: 'change an AUTO_INCREMENT key into a plain one',
    only: ['mysql'],
    before: 'CREATE TABLE counters (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, n INT);',
    after: 'CREATE TABLE counters (id INT NOT NULL PRIMARY KEY, n INT);',
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add a prefix index and a FULLTEXT index',
    only: ['mysql'],
    before: 'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);',
    after:
      'CREATE TABLE notes (id INT PRIMARY KEY, body TEXT);\nCREATE INDEX notes_body_prefix ON notes (body(20));\nCREATE FULLTEXT INDEX notes_body_text ON notes (body);',
    up: ['sql', 'sql'],
    down: ['sql', 'sql'],
  },
  {
    name: "change a table's engine",
    only: ['mysql'],
    before: 'CREATE TABLE hits (id INT PRIMARY KEY, n INT) ENGINE=InnoDB;',
    after: 'CREATE TABLE hits (id INT PRIMARY KEY, n INT) ENGINE=MyISAM;',
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add tables that name each other',
    only: ['mysql'],
    before: 'CREATE TABLE a (id INT PRIMARY KEY);',
    after:
      'CREATE TABLE a (id INT PRIMARY KEY, b_id INT);\nCREATE TABLE b (id INT PRIMARY KEY, a_id INT, CONSTRAINT b_a_fk FOREIGN KEY (a_id) REFERENCES a (id));\nCREATE TABLE c (id INT PRIMARY KEY, d_id INT);\nCREATE TABLE d (id INT PRIMARY KEY, c_id INT, CONSTRAINT d_c_fk FOREIGN KEY (c_id) REFERENCES c (id));\nALTER TABLE c ADD CONSTRAINT c_d_fk FOREIGN KEY (d_id) REFERENCES d (id);\nALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id);',
    // MySQL checks a key's table at CREATE TABLE: the key naming a table made later comes after it.
    up: ['createTable', 'createTable', 'createTable', 'addForeignKey', 'addColumn', 'addForeignKey'],
    down: ['dropForeignKey', 'dropColumn', 'dropForeignKey', 'dropTable', 'dropTable', 'dropTable'],
  },
  {
    // INVISIBLE and a ZEROFILL width have no DSL form: MODIFY COLUMN, in SQL, both ways.
    name: 'make a column INVISIBLE and widen a ZEROFILL column',
    only: ['mysql'],
    before: 'CREATE TABLE codes (id INT PRIMARY KEY, code INT(5) ZEROFILL, note VARCHAR(20));',
    after: 'CREATE TABLE codes (id INT PRIMARY KEY, code INT(8) ZEROFILL, note VARCHAR(20) INVISIBLE);',
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'change the primary key',
    only: ['mysql'],
    before: 'CREATE TABLE memberships (team INT NOT NULL, person INT NOT NULL, PRIMARY KEY (team));',
    after: 'CREATE TABLE memberships (team INT NOT NULL, person INT NOT NULL, PRIMARY KEY (team, person));',
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add a UNIQUE constraint',
    only: ['mysql'],
    before: BASE,
    after: onMysql(`${USERS.replace('email TEXT NOT NULL', 'email TEXT NOT NULL UNIQUE')};\n${POSTS};`),
    up: ['sql'],
    down: ['sql'],
  },
  {
    // The table has an enum column, so its change is SQL; the index InnoDB made for the key
    // goes with the key (the catalog names it when the migration runs).
    name: 'drop a foreign key and change an enum in one ALTER',
    only: ['mysql'],
    before: `${onMysql(USERS)};\nCREATE TABLE moods (id INT PRIMARY KEY, user_id INT, mood ENUM('a','b'), FOREIGN KEY (user_id) REFERENCES users (id));`,
    after: `${onMysql(USERS)};\nCREATE TABLE moods (id INT PRIMARY KEY, user_id INT, mood ENUM('a','b','c'));`,
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'add a trigger and a function',
    only: ['mysql'],
    before: 'CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50));',
    after:
      "CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50));\nCREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC RETURN CONCAT(UPPER(s), '!');\nCREATE TRIGGER notes_shout BEFORE INSERT ON notes FOR EACH ROW BEGIN\n  SET NEW.body = shout(NEW.body);\nEND;",
    up: ['sql', 'sql'],
    down: ['sql', 'sql'],
  },
  {
    // The head's function text is only in the migrations: verified on them, replayed.
    name: 'change a function',
    only: ['mysql'],
    before:
      "CREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC RETURN CONCAT(UPPER(s), '!');",
    after:
      "CREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) DETERMINISTIC RETURN CONCAT(UPPER(s), '!!');",
    up: ['sql'],
    down: ['sql'],
    verifiedOn: 'replay',
  },
  {
    // The head's view text is only in the migrations: verified on them, replayed.
    name: 'change a view',
    before: `${BASE}\nCREATE VIEW named AS SELECT id, name FROM users;`,
    after: `${BASE}\nCREATE VIEW named AS SELECT id, email FROM users;`,
    up: ['sql', 'sql'],
    down: ['sql', 'sql'],
    verifiedOn: 'replay',
  },
  {
    name: 'add a view',
    before: BASE,
    after: `${BASE}\nCREATE VIEW named AS SELECT id, name FROM users WHERE name IS NOT NULL;`,
    up: ['sql'],
    down: ['sql'],
  },
  {
    name: 'rename a column with --rename',
    before: BASE,
    after: `${USERS.replace('name TEXT', 'full_name TEXT')};\n${POSTS};`,
    renames: [{ kind: 'column', table: 'users', from: 'name', to: 'full_name' }],
    up: ['renameColumn'],
    down: ['renameColumn'],
  },
  {
    name: 'rename a table with --rename',
    before: BASE,
    after: `${USERS};\n${POSTS.replace('posts', 'articles')};`,
    renames: [{ kind: 'table', from: 'posts', to: 'articles' }],
    up: ['renameTable'],
    down: ['renameTable'],
  },
  {
    name: 'rename a table and one of its columns with --rename',
    before: BASE,
    after: `${USERS};\n${POSTS.replace('posts', 'articles').replace('title', 'headline')};`,
    renames: [
      { kind: 'table', from: 'posts', to: 'articles' },
      { kind: 'column', table: 'posts', from: 'title', to: 'headline' },
    ],
    up: ['renameColumn', 'renameTable'],
    down: ['renameColumn', 'renameTable'],
  },
];

/** The fingerprint of a database made by running `script` as its only migration. */
async function fingerprintOf(dialect: TestDialect, script: string, databases: TestDatabase[]) {
  const db = await createTestDatabase(dialect);
  databases.push(db);
  const dir = writeMigrations(db.dir, { '001_schema.sql': sqlMigration(script) });
  await migrate({ database: db.url, dir, backup: { enabled: false } });
  return fingerprint(await introspect({ database: db.url }));
}

const kinds = (ops: readonly { kind: string }[] | null) => (ops ?? []).map((o) => o.kind);

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`generate: each kind of change on ${dialect}, forwards and down`, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const db of databases) await db.drop();
    });
    for (const c of CASES.filter((x) => !x.only || x.only.includes(dialect))) {
      it(c.name, async () => {
        const before = sqlOn(c.before, dialect);
        const desired = sqlOn(c.after, dialect);
        const expected = {
          before: await fingerprintOf(dialect, before, databases),
          after: await fingerprintOf(dialect, desired, databases),
        };
        assert.notEqual(expected.before, expected.after, 'the case changes the schema');

        const db = await createTestDatabase(dialect);
        databases.push(db);
        linkPackage(db.dir);
        const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(before) });
        const options = { database: db.url, dir, backup: { enabled: false } } as const;
        await migrate(options);
        const schemaFile = path.join(db.dir, 'schema.sql');
        fs.writeFileSync(schemaFile, `${desired}\n`);

        const r = await generateMigration({ ...options, name: 'change', schemaFile, renames: c.renames });
        assert.equal(r.empty, false);
        assert.deepEqual(r.irreversible, []);
        assert.deepEqual(kinds(r.up), c.up, r.code ?? '');
        assert.deepEqual(kinds(r.down), c.down, r.code ?? '');
        assert.deepEqual(r.fingerprint, { head: expected.before, desired: expected.after });
        assert.deepEqual(r.possibleRenames, []);
        assert.equal(r.verifiedOn, c.verifiedOn ?? 'schema-file');
        c.check?.(r);

        await migrate(options);
        assert.equal(fingerprint(await introspect({ database: db.url })), expected.after, r.code ?? '');
        await rollback({ ...options, steps: 1 });
        assert.equal(fingerprint(await introspect({ database: db.url })), expected.before, r.code ?? '');
        await migrate(options);
        assert.equal(fingerprint(await introspect({ database: db.url })), expected.after, 'up again');

        const again = await generateMigration({ ...options, name: 'again', schemaFile });
        assert.equal(again.empty, true, again.code ?? '');
      });
    }

    it('a rename without --rename is a drop and an add, and the look-alike is reported', async () => {
      const db = await createTestDatabase(dialect);
      databases.push(db);
      const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(sqlOn(BASE, dialect)) });
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const schemaFile = path.join(db.dir, 'schema.sql');
      fs.writeFileSync(
        schemaFile,
        `${sqlOn(`${USERS.replace('name TEXT', 'full_name TEXT')};\n${POSTS};`, dialect)}\n`,
      );
      const r = await generateMigration({ database: db.url, dir, name: 'x', schemaFile, write: false });
      assert.deepEqual(kinds(r.up), ['dropColumn', 'addColumn']);
      assert.deepEqual(
        r.possibleRenames.map((p) => p.rename),
        [{ kind: 'column', table: 'users', from: 'name', to: 'full_name' }],
      );
      assert.ok(r.lint.some((f) => f.id === 'breaking-change'));
      assert.equal(r.file, null);
      assert.deepEqual(fs.readdirSync(dir), ['001_before.sql'], 'write: false writes nothing');
    });

    it('a schema.ts (DSL vocabulary): verified on its schema given as SQL', async () => {
      const db = await createTestDatabase(dialect);
      databases.push(db);
      linkPackage(db.dir);
      const dir = writeMigrations(db.dir, {
        '001_before.sql': sqlMigration(
          sqlOn(`${USERS.replace('PRIMARY KEY', 'PRIMARY KEY NOT NULL')};`, dialect),
        ),
      });
      const options = { database: db.url, dir, backup: { enabled: false } } as const;
      await migrate(options);
      const schemaFile = path.join(db.dir, 'schema.ts');
      fs.writeFileSync(
        schemaFile,
        `import { defineSchema } from 'dbdoctor';
export default defineSchema({
  tables: {
    users: {
      columns: {
        id: { type: 'integer', primaryKey: true },
        email: { type: 'text', nullable: false },
        name: { type: 'text' },
        age: { type: 'integer', default: 0 },
      },
      indexes: [{ columns: ['email'], unique: true }],
    },
  },
});
`,
      );
      const r = await generateMigration({ ...options, name: 'from_ts', schemaFile });
      assert.deepEqual(kinds(r.up), ['addColumn', 'createIndex'], r.code ?? '');
      assert.equal(r.verifiedOn, 'schema-file');
      await migrate(options);
      assert.equal(fingerprint(await introspect({ database: db.url })), r.fingerprint.desired);
      await rollback({ ...options, steps: 1 });
      assert.equal(fingerprint(await introspect({ database: db.url })), r.fingerprint.head);
    });
  });
}

describe(
  'generate on mysql: what MySQL and MariaDB cannot say is refused, nothing written',
  onlyOn('mysql'),
  () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const db of databases) await db.drop();
    });
    const refused = async (before: string, desired: string) => {
      const db = await createTestDatabase('mysql');
      databases.push(db);
      const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(before) });
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const schemaFile = path.join(db.dir, 'schema.sql');
      fs.writeFileSync(schemaFile, `${desired}\n`);
      const error = await generateMigration({ database: db.url, dir, name: 'change', schemaFile }).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      assert.deepEqual(fs.readdirSync(dir), ['001_before.sql'], 'no migration was written');
      return error;
    };

    it("a table's default collation: ALTER would not change its columns' collation, so it is refused", async () => {
      const e = await refused(
        'CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50)) COLLATE utf8mb4_general_ci;',
        'CREATE TABLE notes (id INT PRIMARY KEY, body VARCHAR(50)) COLLATE utf8mb4_bin;',
      );
      assert.equal(e?.code, 'GENERATE_UNEXPRESSIBLE');
      assert.match(e?.message ?? '', /Table notes changes in a way ALTER TABLE cannot make/);
    });

    it('system versioning added to a table is refused (MariaDB)', async () => {
      const e = await refused(
        'CREATE TABLE prices (id INT PRIMARY KEY, amount INT);',
        'CREATE TABLE prices (id INT PRIMARY KEY, amount INT) WITH SYSTEM VERSIONING;',
      );
      assert.equal(e?.code, 'GENERATE_UNEXPRESSIBLE');
      assert.match(e?.message ?? '', /Table prices changes in a way ALTER TABLE cannot make/);
    });

    it('an application-time period added to a table is refused (MariaDB)', async () => {
      const e = await refused(
        'CREATE TABLE stays (id INT PRIMARY KEY, s DATE NOT NULL, e DATE NOT NULL);',
        'CREATE TABLE stays (id INT PRIMARY KEY, s DATE NOT NULL, e DATE NOT NULL, PERIOD FOR stay (s, e));',
      );
      assert.equal(e?.code, 'GENERATE_UNEXPRESSIBLE');
    });

    it('a partitioning change is refused', async () => {
      const e = await refused(
        'CREATE TABLE events (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at));',
        'CREATE TABLE events (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at)) PARTITION BY HASH (id) PARTITIONS 2;',
      );
      assert.equal(e?.code, 'GENERATE_UNEXPRESSIBLE');
    });

    it('a partial index: the schema file itself does not run on MySQL', async () => {
      const e = await refused(
        onMysql(BASE),
        `${onMysql(BASE)}\nCREATE INDEX posts_scored_idx ON posts (score) WHERE score IS NOT NULL;`,
      );
      assert.equal(e?.code, 'SCHEMA_FILE_FAILED');
    });
  },
);
