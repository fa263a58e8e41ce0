import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStatements } from '../../src/migrations/split.js';

describe('splitStatements', () => {
  it('splits at top-level semicolons and drops comment-only pieces', () => {
    assert.deepEqual(
      splitStatements('CREATE TABLE a (x int);\n-- just a comment\n;INSERT INTO a VALUES (1);'),
      ['CREATE TABLE a (x int)', 'INSERT INTO a VALUES (1)'],
    );
  });

  it('keeps semicolons inside quotes, identifiers and comments', () => {
    const sql = `INSERT INTO "we;ird" VALUES ('a;b', 'it''s;'); /* c;d */ SELECT 1 -- e;f\n; SELECT E'x\\';y'`;
    assert.deepEqual(splitStatements(sql), [
      `INSERT INTO "we;ird" VALUES ('a;b', 'it''s;')`,
      '/* c;d */ SELECT 1 -- e;f',
      `SELECT E'x\\';y'`,
    ]);
  });

  it('keeps PostgreSQL dollar-quoted bodies whole', () => {
    const fn = `CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql`;
    assert.deepEqual(splitStatements(`${fn};\nSELECT $$a;b$$;`), [fn, 'SELECT $$a;b$$']);
  });

  it('keeps SQLite trigger bodies whole, including CASE … END inside them', () => {
    const trg = `CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE b SET n = CASE WHEN new.x > 0 THEN 1 ELSE 0 END;
  INSERT INTO log VALUES (new.x);
END`;
    assert.deepEqual(splitStatements(`${trg};\nCREATE INDEX i ON a (x);`), [trg, 'CREATE INDEX i ON a (x)']);
  });

  it('does not mistake BEGIN/END of ordinary statements for a trigger', () => {
    assert.deepEqual(splitStatements('BEGIN; SELECT 1; END;'), ['BEGIN', 'SELECT 1', 'END']);
  });
});
