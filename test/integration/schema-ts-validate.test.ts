/**
 * schema.ts is checked before it is folded: a type outside the DSL's vocabulary, or a key,
 * index or foreign key naming a column or table the file does not define, is BAD_SCHEMA_FILE
 * naming the table, the column and what is accepted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  createTestDatabase,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';
import { linkPackage, SCHEMA_SQL_DIALECTS } from '../helpers/projects.js';

const CASES: { name: string; tables: string; expect: RegExp[] }[] = [
  {
    name: 'a SQL type spelling',
    tables: "t: { columns: { id: { type: 'integer' }, name: { type: 'varchar(20)' } }, primaryKey: ['id'] }",
    expect: [/table t, column name: type 'varchar\(20\)' is not one the DSL accepts \(text, integer, bigint/],
  },
  {
    name: "'string' and 'int'",
    tables: "t: { columns: { id: { type: 'int' }, s: { type: 'string' } } }",
    expect: [/table t, column id: type 'int'/, /table t, column s: type 'string'/],
  },
  {
    name: 'a primary key naming a missing column',
    tables: "t: { columns: { id: { type: 'integer' } }, primaryKey: ['idd'] }",
    expect: [/table t: primaryKey names column idd, which the table does not have \(columns: id\)/],
  },
  {
    name: 'an index and a foreign key naming missing columns and tables',
    tables:
      "t: { columns: { id: { type: 'integer' }, u: { type: 'integer', references: { table: 'users', column: 'id' } } }, indexes: [{ columns: ['nope'] }], foreignKeys: [{ columns: ['id'], references: { table: 't', columns: ['missing'] } }] }",
    expect: [
      /table t, column u: references table users, which the file does not define/,
      /table t: index \(unnamed\) names column nope/,
      /table t: a foreign key's reference names column missing, which table t does not have|table t: a foreign key's reference names column missing, which the table does not have/,
    ],
  },
];

for (const dialect of SCHEMA_SQL_DIALECTS) {
  describe(`schema.ts validation on ${dialect}`, () => {
    let db: TestDatabase;
    let dir: string;
    before(async () => {
      db = await createTestDatabase(dialect);
      linkPackage(db.dir);
      dir = writeMigrations(db.dir, {
        '001_init.sql': sqlMigration('CREATE TABLE t (id INTEGER PRIMARY KEY);'),
      });
    });
    after(() => db.drop());

    for (const c of CASES) {
      it(`${c.name}: BAD_SCHEMA_FILE naming table and column, nothing written`, async () => {
        const file = path.join(db.dir, 'schema.ts');
        fs.writeFileSync(
          file,
          `import { defineSchema } from 'dbdoctor';\nexport default defineSchema({ tables: { ${c.tables} } } as never);\n`,
        );
        for (const cmd of ['diff', 'generate']) {
          const args = cmd === 'generate' ? ['generate', 'x', '--no-prompt'] : ['diff'];
          const r = await cli([...args, '--schema-file', file, '--url', db.url, '--dir', dir, '--json'], {
            cwd: db.dir,
          });
          assert.equal(r.code, 1, r.stderr);
          const e = r.json<{ error: { code: string; message: string; hint: string } }>().error;
          assert.equal(e.code, 'BAD_SCHEMA_FILE', e.message);
          for (const re of c.expect) assert.match(e.message, re);
          assert.doesNotMatch(e.message, /Cannot read properties/);
          assert.match(e.hint, /text, integer, bigint/);
          assert.deepEqual(fs.readdirSync(dir), ['001_init.sql'], 'no migration written');
        }
      });
    }
  });
}
