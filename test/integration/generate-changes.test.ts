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
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

/** SQL per dialect: one text for both, or one each. */
type Sql = string | Partial<Record<TestDialect, string>>;
const sqlOn = (s: Sql, d: TestDialect): string => {
  if (typeof s === 'string') return s;
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
    name: 'add a partial index',
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
    before: FK(' ON DELETE SET NULL'),
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
      const dir = writeMigrations(db.dir, { '001_before.sql': sqlMigration(BASE) });
      await migrate({ database: db.url, dir, backup: { enabled: false } });
      const schemaFile = path.join(db.dir, 'schema.sql');
      fs.writeFileSync(schemaFile, `${USERS.replace('name TEXT', 'full_name TEXT')};\n${POSTS};\n`);
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
        '001_before.sql': sqlMigration(`${USERS.replace('PRIMARY KEY', 'PRIMARY KEY NOT NULL')};`),
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
