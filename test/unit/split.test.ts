import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/dialects/builtin.js';
import { splitStatements } from '../../src/migrations/split.js';

const both = ['sqlite', 'postgres'] as const;

describe('splitStatements, both dialects', () => {
  for (const d of both) {
    it(`${d}: splits at top-level semicolons and drops comment-only pieces`, () => {
      assert.deepEqual(
        splitStatements('CREATE TABLE a (x int);\n-- just a comment\n;INSERT INTO a VALUES (1);', d),
        ['CREATE TABLE a (x int)', 'INSERT INTO a VALUES (1)'],
      );
    });

    it(`${d}: keeps semicolons inside quotes, identifiers and comments`, () => {
      const sql = `INSERT INTO "we;ird" VALUES ('a;b', 'it''s;'); /* c;d */ SELECT 1 -- e;f\n; SELECT 2`;
      assert.deepEqual(splitStatements(sql, d), [
        `INSERT INTO "we;ird" VALUES ('a;b', 'it''s;')`,
        '/* c;d */ SELECT 1 -- e;f',
        'SELECT 2',
      ]);
    });

    it(`${d}: does not mistake BEGIN/END of ordinary statements for a body`, () => {
      assert.deepEqual(splitStatements('BEGIN; SELECT 1; END;', d), ['BEGIN', 'SELECT 1', 'END']);
    });
  }
});

describe('splitStatements, PostgreSQL lexer (scan.l, psqlscan.l)', () => {
  const pg = (s: string) => splitStatements(s, 'postgres');

  it('keeps dollar-quoted bodies whole, with or without a tag', () => {
    const fn = `CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql`;
    assert.deepEqual(pg(`${fn};\nSELECT $$a;b$$;`), [fn, 'SELECT $$a;b$$']);
    assert.deepEqual(pg('SELECT $a$ $$;$$ $a$; SELECT 2'), ['SELECT $a$ $$;$$ $a$', 'SELECT 2']);
  });

  it('$1 is a parameter and a$b$ an identifier, not dollar quotes', () => {
    assert.deepEqual(pg('PREPARE p AS SELECT $1; SELECT a$b$ FROM t; SELECT 3'), [
      'PREPARE p AS SELECT $1',
      'SELECT a$b$ FROM t',
      'SELECT 3',
    ]);
  });

  it('nests block comments', () => {
    assert.deepEqual(pg('SELECT 1 /* outer /* inner; */ still; comment */; SELECT 2'), [
      'SELECT 1 /* outer /* inner; */ still; comment */',
      'SELECT 2',
    ]);
  });

  it("takes backslash escapes only in E'' strings", () => {
    assert.deepEqual(pg(`SELECT E'x\\';y'; SELECT 'a\\'; SELECT e'\\\\'; SELECT 1`), [
      `SELECT E'x\\';y'`,
      `SELECT 'a\\'`,
      `SELECT e'\\\\'`,
      'SELECT 1',
    ]);
  });

  it('keeps BEGIN ATOMIC … END bodies whole, with CASE … END inside', () => {
    const fn = `CREATE OR REPLACE FUNCTION sign_of(x int) RETURNS text LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 'pos' ELSE 'neg' END;
  SELECT (CASE WHEN x = 0 THEN 'zero' END);
END`;
    const proc =
      'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END';
    assert.deepEqual(pg(`${fn};\n${proc};\nSELECT 1;`), [fn, proc, 'SELECT 1']);
  });

  it('keeps a semicolon inside parentheses (CREATE RULE … DO (a; b))', () => {
    const rule =
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))';
    assert.deepEqual(pg(`${rule}; SELECT 1`), [rule, 'SELECT 1']);
  });
});

describe('splitStatements, SQLite lexer (tokenize.c, sqlite3_complete)', () => {
  const lite = (s: string) => splitStatements(s, 'sqlite');

  it('keeps trigger bodies whole, including CASE … END inside them', () => {
    const trg = `CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE b SET n = CASE WHEN new.x > 0 THEN 1 ELSE 0 END;
  INSERT INTO log VALUES (new.x);
END`;
    assert.deepEqual(lite(`${trg};\nCREATE INDEX i ON a (x);`), [trg, 'CREATE INDEX i ON a (x)']);
    const temp = 'CREATE TEMP TRIGGER u AFTER DELETE ON a BEGIN DELETE FROM b; END';
    assert.deepEqual(lite(`${temp}; SELECT 1`), [temp, 'SELECT 1']);
  });

  it('does not nest block comments: the first */ closes', () => {
    assert.deepEqual(lite('SELECT 1 /* a /* b */; SELECT 2 */'), ['SELECT 1 /* a /* b */', 'SELECT 2 */']);
  });

  it('takes backslashes literally and has no dollar quotes', () => {
    assert.deepEqual(lite(`SELECT 'a\\'; SELECT $x; SELECT $$; SELECT 3`), [
      `SELECT 'a\\'`,
      'SELECT $x',
      'SELECT $$',
      'SELECT 3',
    ]);
  });

  it('[bracket] and `backtick` identifiers hold semicolons', () => {
    assert.deepEqual(lite('SELECT [a;b], `c;d` FROM t; SELECT 2'), [
      'SELECT [a;b], `c;d` FROM t',
      'SELECT 2',
    ]);
  });
});
