import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dialectNamed } from '../../src/dialects/registry.js';
import { isDbDoctorError } from '../../src/errors.js';
import {
  addCheck,
  addColumn,
  addEnumValue,
  addForeignKey,
  alterColumn,
  createEnum,
  createIndex,
  createTable,
  diff,
  dropCheck,
  dropForeignKey,
  dropIndex,
  dropTable,
  enumType,
  fingerprint,
  foldOperations,
  introspect,
  migrate,
  now,
  type Operation,
  renameColumn,
  renameTable,
  rollback,
  sql,
} from '../../src/index.js';
import {
  createTestDatabase,
  DIALECTS,
  rawExec,
  rawQuery,
  type TestDatabase,
  type TestDialect,
} from '../helpers/databases.js';

const MOOD = ['calm', 'busy'] as const;

/** A column named `select` in a CHECK, quoted per dialect by {@link forDialect} (the hostile case). */
const QUOTED_SELECT = '<<select>>';

/** `ops` with {@link QUOTED_SELECT} spelled with the dialect's identifier quotes. */
function forDialect(ops: Operation[], dialect: TestDialect): Operation[] {
  const quoted = JSON.stringify(dialectNamed(dialect).quoteIdent('select')).slice(1, -1);
  return JSON.parse(JSON.stringify(ops).replaceAll(QUOTED_SELECT, quoted)) as Operation[];
}

/** The schema every case starts from. */
const BASE: Operation[] = [
  createEnum('mood', MOOD),
  createTable('authors', {
    columns: {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      name: { type: 'text', nullable: false },
      email: { type: 'text', unique: true },
    },
  }),
  createTable('books', {
    columns: {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      author_id: { type: 'integer', references: { table: 'authors', column: 'id', onDelete: 'CASCADE' } },
      title: { type: 'text', nullable: false },
      pages: { type: 'integer', default: 0 },
      mood: { type: enumType('mood', MOOD) },
      published: { type: 'timestamp', default: now() },
    },
    checks: [{ name: 'pages_nonneg', expression: 'pages >= 0' }],
  }),
  createIndex('books', ['title']),
];

const SEED = [
  "INSERT INTO authors (name, email) VALUES ('Ann', 'ann@example.com'), ('Bob', NULL)",
  "INSERT INTO books (author_id, title, pages, mood) VALUES (1, 'One', 10, 'calm'), (1, 'Two', 20, 'busy'), (2, 'Three', 30, NULL)",
];

/** A DSL migration file's text: operations are plain data. */
function migrationFile(ops: readonly Operation[], extra: Record<string, unknown> = {}): string {
  return `export default ${JSON.stringify({ ops, ...extra }, null, 2)};\n`;
}

interface OpCase {
  name: string;
  /** Migrations after the base, each a list of operations. */
  migrations: Operation[][];
  /** Rows of books that must survive up (default all 3). */
  booksAfterUp?: number;
  /** Down does not restore everything up removed (checked elsewhere). */
  noDownCheck?: boolean;
  /** Extra check after up. */
  afterUp?: (db: TestDatabase) => Promise<void>;
  /** Dialects the case cannot apply to, with why (printed as the skip reason). */
  unsupportedOn?: Partial<Record<TestDialect, string>>;
}

const CASES: OpCase[] = [
  {
    name: 'createTable with a composite primary key, unique, check and foreign keys',
    migrations: [
      [
        createTable('book_tags', {
          columns: {
            book_id: { type: 'integer', nullable: false },
            tag: { type: 'text', nullable: false },
            weight: { type: 'real', default: 1 },
            meta: { type: 'json' },
            uid: { type: 'uuid' },
            raw: { type: 'blob' },
            day: { type: 'date' },
            big: { type: 'bigint' },
            flag: { type: 'boolean', default: true },
            amount: { type: 'numeric' },
          },
          primaryKey: ['book_id', 'tag'],
          unique: [['tag', 'uid']],
          checks: [{ name: 'tag_not_empty', expression: "tag <> ''" }],
          foreignKeys: [
            {
              name: 'book_tags_book_fkey',
              columns: ['book_id'],
              references: { table: 'books', columns: ['id'] },
              onDelete: 'CASCADE',
            },
          ],
        }),
      ],
    ],
  },
  {
    name: 'createTable then dropTable with its definition',
    migrations: [
      [
        createTable('scratch', {
          columns: { id: { type: 'integer', primaryKey: true }, note: { type: 'text' } },
        }),
      ],
      [
        dropTable('scratch', {
          columns: { id: { type: 'integer', primaryKey: true }, note: { type: 'text' } },
        }),
      ],
    ],
  },
  {
    name: 'renameTable',
    migrations: [[renameTable('books', 'volumes')]],
    afterUp: async (db) => {
      assert.equal(
        (await rawQuery(db, 'SELECT count(*) AS n FROM volumes'))[0]?.n,
        db.dialect === 'postgres' ? '3' : 3,
      );
    },
  },
  { name: 'addColumn, nullable', migrations: [[addColumn('books', 'isbn', { type: 'text' })]] },
  {
    name: 'addColumn NOT NULL with a default',
    migrations: [[addColumn('books', 'stock', { type: 'integer', nullable: false, default: 5 })]],
    afterUp: async (db) => {
      const rows = await rawQuery(db, 'SELECT DISTINCT stock FROM books');
      assert.deepEqual(
        rows.map((r) => Number(r.stock)),
        [5],
      );
    },
  },
  {
    name: 'addColumn unique (a SQLite rebuild)',
    migrations: [[addColumn('books', 'slug', { type: 'text', unique: true })]],
  },
  {
    name: 'addColumn with an enum type (a CHECKed TEXT on SQLite)',
    migrations: [
      [addColumn('authors', 'mood', { type: enumType('mood', MOOD), nullable: false, default: 'calm' })],
    ],
  },
  {
    name: 'dropColumn of an indexed column: SQLite rebuilds and drops its index',
    migrations: [[{ kind: 'dropColumn', table: 'books', column: 'title', definition: { type: 'text' } }]],
    // Down re-adds the column but not the index it had: the round trip is the next case's.
    noDownCheck: true,
  },
  {
    name: 'dropIndex then dropColumn, both with recorded definitions, round trip',
    migrations: [
      [createIndex('books', ['published'])],
      [
        dropIndex('books_published_idx', { table: 'books', columns: ['published'] }),
        {
          kind: 'dropColumn',
          table: 'books',
          column: 'published',
          definition: { type: 'timestamp', default: now() },
        },
      ],
    ],
  },
  {
    name: 'alterColumn type, nullability and default',
    migrations: [
      [
        alterColumn(
          'books',
          'pages',
          { type: 'bigint', nullable: false, default: 1 },
          { type: 'integer', nullable: true, default: 0 },
        ),
      ],
    ],
    afterUp: async (db) => {
      const rows = await rawQuery(db, 'SELECT pages FROM books ORDER BY id');
      assert.deepEqual(
        rows.map((r) => Number(r.pages)),
        [10, 20, 30],
      );
    },
  },
  {
    name: 'alterColumn to NOT NULL and back',
    migrations: [[alterColumn('books', 'title', { nullable: true }, { nullable: false })]],
  },
  {
    name: 'renameColumn (also in the check, the index and the foreign keys that use it)',
    migrations: [[renameColumn('books', 'pages', 'page_count'), renameColumn('authors', 'id', 'author_key')]],
  },
  {
    name: 'createIndex unique and multi-column; dropIndex with its definition',
    migrations: [
      [createIndex('books', ['author_id', 'title'], { unique: true })],
      [dropIndex('books_title_idx', { table: 'books', columns: ['title'] })],
    ],
  },
  {
    name: 'createIndex partial',
    migrations: [[createIndex('books', ['pages'], { name: 'books_long', where: 'pages > 100' })]],
    unsupportedOn: { mysql: 'MySQL and MariaDB have no partial indexes (refusal tested in mysql.test.ts)' },
  },
  {
    name: 'createIndex concurrently (PostgreSQL runs it, and its derived down, outside a transaction)',
    migrations: [[createIndex('books', ['pages'], { concurrently: true })]],
    afterUp: async (db) => {
      if (db.dialect !== 'postgres') return;
      const valid = await rawQuery(
        db,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'books_pages_idx'",
      );
      assert.deepEqual(valid, [{ indisvalid: true }]);
    },
  },
  {
    name: 'addForeignKey and dropForeignKey (SQLite rebuilds)',
    migrations: [
      [addColumn('authors', 'favourite_book_id', { type: 'integer' })],
      [
        addForeignKey(
          'authors',
          ['favourite_book_id'],
          { table: 'books', columns: ['id'] },
          { onDelete: 'SET NULL' },
        ),
      ],
      [
        dropForeignKey('authors', 'authors_favourite_book_id_fkey', {
          columns: ['favourite_book_id'],
          references: { table: 'books', columns: ['id'] },
          onDelete: 'SET NULL',
        }),
      ],
    ],
  },
  {
    name: 'addCheck and dropCheck',
    migrations: [
      [addCheck('authors', 'name_not_empty', "name <> ''")],
      [dropCheck('books', 'pages_nonneg', 'pages >= 0')],
    ],
  },
  {
    name: 'several changes to one table share one rebuild',
    migrations: [
      [
        alterColumn('books', 'pages', { default: 7 }, { default: 0 }),
        addCheck('books', 'pages_small', 'pages < 100000'),
        addColumn('books', 'code', { type: 'text', unique: true }),
      ],
    ],
  },
  {
    name: 'hostile identifiers: quotes, spaces and keywords in table, column, index and constraint names',
    migrations: [
      [
        createTable('we"ird table', {
          columns: {
            select: { type: 'integer', primaryKey: true },
            'co"l; DROP TABLE books; --': { type: 'text', default: "it's" },
          },
          // Quoted as each dialect quotes identifiers: on MySQL "select" is a string.
          checks: [{ name: 'ch"eck', expression: `${QUOTED_SELECT} >= 0` }],
        }),
        createIndex('we"ird table', ['co"l; DROP TABLE books; --'], { name: 'ix "1"' }),
      ],
      [
        alterColumn('we"ird table', 'co"l; DROP TABLE books; --', { nullable: false }, { nullable: true }),
        renameColumn('we"ird table', 'select', 'from'),
      ],
    ],
    afterUp: async (db) => {
      assert.equal(
        (await rawQuery(db, 'SELECT count(*) AS n FROM books'))[0]?.n,
        db.dialect === 'postgres' ? '3' : 3,
      );
    },
  },
  {
    name: 'sql with per-dialect variants and a down',
    migrations: [
      [
        sql(
          {
            sqlite: 'CREATE TABLE audit (id INTEGER PRIMARY KEY NOT NULL, at TEXT)',
            postgres: 'CREATE TABLE audit (id integer PRIMARY KEY, at timestamptz)',
            mysql: 'CREATE TABLE audit (id int PRIMARY KEY, at datetime(6))',
          },
          'DROP TABLE audit',
        ),
      ],
    ],
  },
];

async function fingerprintOf(db: TestDatabase): Promise<string> {
  return fingerprint(await introspect({ database: db.url }));
}

async function counts(db: TestDatabase, tables: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const t of tables) out.push(Number((await rawQuery(db, `SELECT count(*) AS n FROM ${t}`))[0]?.n));
  return out;
}

for (const dialect of DIALECTS) {
  describe(`operation DSL on ${dialect}: every op runs, folds to what introspection finds, and down restores the start`, () => {
    for (const c of CASES) {
      it(c.name, { skip: c.unsupportedOn?.[dialect] ?? false }, async () => {
        const db = await createTestDatabase(dialect);
        try {
          const dir = path.join(db.dir, 'migrations');
          fs.mkdirSync(dir);
          fs.writeFileSync(path.join(dir, '001_base.mjs'), migrationFile(BASE));
          const opts = { database: db.url, dir, backup: { enabled: false } };
          await migrate(opts);
          for (const s of SEED) await rawExec(db, s);
          const start = await fingerprintOf(db);
          assert.equal(
            start,
            fingerprint(foldOperations(BASE, dialect).schema),
            'the base folds to what introspection finds',
          );

          c.migrations.forEach((ops, i) => {
            fs.writeFileSync(
              path.join(dir, `${String(i + 2).padStart(3, '0')}_case.mjs`),
              migrationFile(forDialect(ops, dialect)),
            );
          });
          await migrate(opts);
          const live = await introspect({ database: db.url });
          const folded = foldOperations(forDialect([...BASE, ...c.migrations.flat()], dialect), dialect);
          assert.equal(
            folded.opaque,
            c.migrations.flat().some((op) => op.kind === 'sql'),
          );
          if (!folded.opaque) {
            const d = diff(folded.schema, live, { a: 'the fold', b: 'the database' });
            assert.ok(d.equal, `fold differs from introspection:\n${JSON.stringify(d.byTable, null, 2)}`);
            assert.equal(fingerprint(folded.schema), fingerprint(live));
          }
          const tables = c.name === 'renameTable' ? ['authors'] : ['authors', 'books'];
          assert.deepEqual(
            await counts(db, tables),
            tables.map((t) => (t === 'books' ? (c.booksAfterUp ?? 3) : 2)),
          );
          await c.afterUp?.(db);

          await rollback({ ...opts, to: '001' });
          if (!c.noDownCheck)
            assert.equal(await fingerprintOf(db), start, 'down returns the exact starting schema');
          assert.deepEqual(await counts(db, ['authors', 'books']), [2, 3], 'no row lost by up and down');
        } finally {
          await db.drop();
        }
      });
    }

    it('addEnumValue widens the enum (a PostgreSQL type; every CHECK that stands for it on SQLite)', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const dir = path.join(db.dir, 'migrations');
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, '001_base.mjs'), migrationFile(BASE));
        fs.writeFileSync(
          path.join(dir, '002_more.mjs'),
          migrationFile([addEnumValue('mood', 'sleepy')], { irreversible: true }),
        );
        if (dialectNamed(dialect).capabilities.enumStyle === 'inline') {
          // An inline enum (MySQL's ENUM('a','b')) has no name in the database: refused before
          // anything runs, the base applied and the schema unchanged.
          await migrate({ database: db.url, dir, backup: { enabled: false }, to: '001' });
          const before = await fingerprintOf(db);
          await assert.rejects(
            migrate({ database: db.url, dir, backup: { enabled: false } }),
            (e) => isDbDoctorError(e) && e.code === 'BAD_OPERATION' && /alterColumn/.test(e.hint ?? ''),
          );
          assert.equal(await fingerprintOf(db), before);
          assert.throws(
            () => foldOperations([...BASE, addEnumValue('mood', 'sleepy')], dialect),
            (e) => isDbDoctorError(e) && e.code === 'BAD_OPERATION',
          );
          return;
        }
        await migrate({ database: db.url, dir, backup: { enabled: false } });
        await rawExec(db, "INSERT INTO authors (name) VALUES ('C')");
        await rawExec(db, "INSERT INTO books (author_id, title, mood) VALUES (1, 'Z', 'sleepy')");
        await assert.rejects(
          rawExec(db, "INSERT INTO books (author_id, title, mood) VALUES (1, 'Y', 'angry')"),
        );
        const folded = foldOperations([...BASE, addEnumValue('mood', 'sleepy')], dialect);
        assert.equal(fingerprint(folded.schema), await fingerprintOf(db));
      } finally {
        await db.drop();
      }
    });
  });
}

const REPORT_002 = path.resolve(import.meta.dirname, '../../examples/assessment/portable');

for (const dialect of DIALECTS) {
  describe(`report 002 written once with the DSL, on ${dialect}`, () => {
    it('makes an enum type (PostgreSQL), a CHECKed TEXT (SQLite) or an inline ENUM (MySQL) with its index, keeps rows, and rolls back', async () => {
      const db = await createTestDatabase(dialect);
      try {
        const opts = { database: db.url, dir: REPORT_002, backup: { enabled: false } };
        await migrate({ ...opts, to: '001' });
        await rawExec(db, "INSERT INTO student_responses (session_id) VALUES ('s1'), ('s2')");
        const before = await fingerprintOf(db);
        await migrate(opts);
        if (dialect === 'postgres') {
          const t = await rawQuery(
            db,
            "SELECT t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = 'student_responses'::regclass AND a.attname = 'status'",
          );
          assert.equal(t[0]?.typname, 'sessionstatus');
          assert.equal(
            (
              await rawQuery(
                db,
                "SELECT count(*) AS n FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'sessionstatus'",
              )
            )[0]?.n,
            '3',
          );
        } else if (dialect === 'mysql') {
          const t = await rawQuery(
            db,
            "SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'student_responses' AND COLUMN_NAME = 'status'",
          );
          assert.equal(t[0]?.type, "enum('active','completed','user_abandoned_not_completed')");
        } else {
          const t = await rawQuery(
            db,
            "SELECT type FROM pragma_table_info('student_responses') WHERE name = 'status'",
          );
          assert.equal(t[0]?.type, 'TEXT');
        }
        const INDEX_QUERIES: Record<TestDialect, string> = {
          postgres:
            "SELECT indexname AS name FROM pg_indexes WHERE indexname = 'idx_student_responses_status'",
          sqlite:
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND name = 'idx_student_responses_status'",
          mysql:
            "SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'idx_student_responses_status'",
        };
        const idx = await rawQuery(db, INDEX_QUERIES[dialect]);
        assert.equal(idx.length, 1);
        assert.deepEqual(
          (await rawQuery(db, 'SELECT status FROM student_responses ORDER BY id')).map((r) => r.status),
          ['active', 'active'],
        );
        await assert.rejects(
          rawExec(db, "UPDATE student_responses SET status = 'paused'"),
          'the enum refuses other values',
        );

        await rollback({ ...opts, to: '001' });
        assert.equal(await fingerprintOf(db), before, 'rolled back to the exact schema before');
        assert.deepEqual(
          (await rawQuery(db, 'SELECT session_id FROM student_responses ORDER BY id')).map(
            (r) => r.session_id,
          ),
          ['s1', 's2'],
        );
      } finally {
        await db.drop();
      }
    });
  });
}
