import fs from 'node:fs';
import path from 'node:path';
import {
  createEnum,
  createIndex,
  createTable,
  diff,
  enumType,
  foldOperations,
  introspect,
  migrate,
  now,
} from '/work/wt-mysql/src/index.js';
import { createTestDatabase } from '/work/wt-mysql/test/helpers/databases.js';

const MOOD = ['calm', 'busy'];
const BASE = [
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
const db = await createTestDatabase('mysql');
try {
  const dir = path.join(db.dir, 'm');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, '001_base.mjs'), `export default ${JSON.stringify({ ops: BASE })};`);
  await migrate({ database: db.url, dir, backup: { enabled: false } });
  const live = await introspect({ database: db.url });
  const folded = foldOperations(BASE as any, 'mysql').schema;
  const d = diff(folded, live, { a: 'fold', b: 'db' });
  console.log(JSON.stringify(d.byTable, null, 1));
  console.log(JSON.stringify(live.tables.books, null, 1));
} finally {
  await db.drop();
}
