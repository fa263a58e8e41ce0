import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cli, createTestDatabase, DIALECTS, onlyOn, rawQuery, tableNames } from '../helpers/databases.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

for (const dialect of DIALECTS) {
  describe(`examples on ${dialect}`, () => {
    // A project per dialect, or one `portable` project (DSL migrations) for both.
    const projects = fs
      .readdirSync(EXAMPLES)
      .flatMap((e) =>
        [dialect, 'portable']
          .filter((sub) => fs.existsSync(path.join(EXAMPLES, e, sub)))
          .map((sub) => ({ example: `${e}/${sub}`, sub: path.join(e, sub) })),
      );
    for (const { example, sub } of projects) {
      it(`${example}: applies, keeps data through down/up of its last migration, reverts to an empty database`, async () => {
        const db = await createTestDatabase(dialect);
        const dir = path.join(EXAMPLES, sub);
        const run = (...a: string[]) => cli([...a, '--url', db.url, '--dir', dir], { cwd: db.dir });
        try {
          let r = await run('apply', '--json');
          assert.equal(r.code, 0, r.stderr);
          const files = fs.readdirSync(dir).filter((f) => /\.(sql|ts)$/.test(f));
          assert.equal(r.json<{ applied: unknown[] }>().applied.length, files.length);
          const tables = (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor'));
          assert.ok(tables.length >= 2, `${example} created its tables`);
          r = await run('down');
          assert.equal(r.code, 0, r.stderr);
          r = await run('apply');
          assert.equal(r.code, 0, r.stderr);
          r = await run('down', '--to', 'base');
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(
            (await tableNames(db)).filter((t) => !t.startsWith('dbdoctor')),
            [],
          );
        } finally {
          await db.drop();
        }
      });
    }
  });
}

describe(
  'report 001 on SQLite: reverting active_trail_id loses no custom_routes rows',
  onlyOn('sqlite'),
  () => {
    it('the rebuild in the down keeps child rows (foreign keys are off outside the transaction)', async () => {
      const db = await createTestDatabase('sqlite');
      const dir = path.join(EXAMPLES, 'trails', 'sqlite');
      try {
        assert.equal((await cli(['apply', '--url', db.url, '--dir', dir])).code, 0);
        await rawQuery(db, "INSERT INTO accounts (id, email, password_hash) VALUES (1, 'a@x', 'h')");
        await rawQuery(db, "INSERT INTO custom_routes (id, account_id, name) VALUES (7, 1, 'loop')");
        await rawQuery(db, 'UPDATE accounts SET active_trail_id = 7');
        const r = await cli(['down', '--url', db.url, '--dir', dir]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await rawQuery(db, 'SELECT id, account_id, name FROM custom_routes'), [
          { id: 7, account_id: 1, name: 'loop' },
        ]);
        assert.deepEqual(await rawQuery(db, 'SELECT id, email FROM accounts'), [{ id: 1, email: 'a@x' }]);
        assert.deepEqual(await rawQuery(db, 'PRAGMA foreign_key_check'), []);
      } finally {
        await db.drop();
      }
    });
  },
);
