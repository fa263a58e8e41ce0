// What a newcomer trying dbdoctor on MariaDB from the README ran into, each on every dialect
// where it applies.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createTable, type Operation, sql } from '../../src/index.js';
import {
  cli,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  type TestDatabase,
  tableNames,
} from '../helpers/databases.js';

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
