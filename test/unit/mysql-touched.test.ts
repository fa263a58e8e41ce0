/**
 * What the MySQL replay reads again after a statement (src/dialects/mysql/touched.ts): the
 * objects each known statement names, and everything for any statement it does not know for
 * certain. No database: the round trip is test/integration/doctor-incremental-mysql.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noneTouched, noteStatement, type Touched } from '../../src/dialects/mysql/touched.js';

const ctx = { database: 'scratch', sameDatabase: (q: string) => q === 'scratch' };

function touchedBy(...statements: string[]): Touched {
  const t = noneTouched();
  for (const s of statements) noteStatement(t, s, ctx);
  return t;
}

/** A short summary: 'all', or the parts touched. */
function summary(t: Touched): string {
  if (t.all) return 'all';
  const parts: string[] = [];
  if (t.relations.size > 0) parts.push(`relations ${[...t.relations].join(',')}`);
  if (t.triggerTables.size > 0) parts.push(`triggers of ${[...t.triggerTables].join(',')}`);
  if (t.triggers) parts.push('triggers');
  if (t.views) parts.push('views');
  if (t.routines) parts.push('routines');
  if (t.events) parts.push('events');
  return parts.join('; ') || 'nothing';
}

describe('MySQL statements: what the replay reads again', () => {
  const cases: [string, string][] = [
    ['CREATE TABLE t (id INT)', 'relations t'],
    ['create table if not exists `My``T` (id int)', 'relations My`T'],
    ['CREATE TEMPORARY TABLE tmp (id INT)', 'relations tmp'],
    ['CREATE OR REPLACE TABLE t (id INT)', 'relations t; triggers of t'],
    ['CREATE TABLE t2 LIKE t', 'relations t2'],
    ['CREATE TABLE t2 AS SELECT * FROM t', 'relations t2'],
    ['CREATE TABLE scratch.t (id INT)', 'relations t'],
    ['CREATE TABLE "ansi" (id INT)', 'relations ansi'],
    ['ALTER TABLE t ADD COLUMN c INT, ADD INDEX (c)', 'relations t'],
    ['ALTER TABLE t CHANGE a b INT', 'relations t'],
    ["ALTER TABLE t COMMENT 'RENAME TO u'", 'relations t'],
    ['ALTER TABLE t ADD COLUMN `rename` INT', 'relations t'],
    ['ALTER TABLE /* RENAME */ t ADD c INT -- RENAME\n', 'relations t'],
    ['DROP TABLE IF EXISTS a, `b`, scratch.c', 'relations a,b,c; triggers of a,b,c'],
    ['CREATE UNIQUE INDEX i ON t (a, b)', 'relations t'],
    ['CREATE INDEX i USING BTREE ON t (a)', 'relations t'],
    ['DROP INDEX i ON t', 'relations t'],
    ['TRUNCATE TABLE t', 'relations t'],
    ['CREATE SEQUENCE s START WITH 5', 'relations s'],
    ['ALTER SEQUENCE s INCREMENT BY 2', 'relations s'],
    ['DROP SEQUENCE IF EXISTS s, s2', 'relations s,s2'],
    [
      'CREATE OR REPLACE ALGORITHM = MERGE DEFINER = `u`@`%` SQL SECURITY INVOKER VIEW v AS SELECT 1',
      'views',
    ],
    ['ALTER DEFINER = root@localhost VIEW v AS SELECT 2', 'views'],
    ['DROP VIEW IF EXISTS v, w', 'views'],
    ['CREATE DEFINER = CURRENT_USER() TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1', 'triggers'],
    ['DROP TRIGGER IF EXISTS tr', 'triggers'],
    ['CREATE FUNCTION f() RETURNS INT RETURN 1', 'routines'],
    ['CREATE DEFINER = u@127.0.0.1 PROCEDURE p() BEGIN SELECT 1; END', 'routines'],
    ['DROP PROCEDURE p', 'routines'],
    ['CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM t', 'events'],
    ['ALTER EVENT e DISABLE', 'events'],
    ["INSERT INTO t VALUES (1, 'RENAME TABLE')", 'nothing'],
    ['UPDATE t SET a = 1', 'nothing'],
    ['DELETE FROM t', 'nothing'],
    ['REPLACE INTO t VALUES (1)', 'nothing'],
    ['SELECT * FROM t', 'nothing'],
    ["SET SESSION sql_mode = 'ANSI_QUOTES'", 'nothing'],
    ['START TRANSACTION', 'nothing'],
    ['BEGIN', 'nothing'],
    ['BEGIN WORK', 'nothing'],
    ['COMMIT', 'nothing'],
    ['SHOW CREATE TABLE t', 'nothing'],
  ];
  for (const [sql, want] of cases) it(sql, () => assert.equal(summary(touchedBy(sql)), want));

  it('merges what several statements touched', () => {
    assert.equal(
      summary(touchedBy('CREATE TABLE a (id INT)', 'CREATE VIEW v AS SELECT 1', 'DROP TABLE b')),
      'relations a,b; triggers of b; views',
    );
  });
});

describe('MySQL statements the replay cannot be certain of: a full read', () => {
  const unknown = [
    // Statements that change other tables, or whose effect is not in their text.
    'RENAME TABLE a TO b',
    'ALTER TABLE a RENAME TO b',
    'ALTER TABLE a RENAME COLUMN x TO y',
    'ALTER TABLE a RENAME INDEX i TO j',
    'ALTER TABLE a EXCHANGE PARTITION p WITH TABLE b',
    'ALTER TABLE a CONVERT PARTITION p TO TABLE b',
    'ALTER TABLE a CONVERT TO CHARACTER SET utf8mb4',
    'CALL p()',
    "PREPARE s FROM 'DROP TABLE t'",
    'EXECUTE s',
    'BEGIN NOT ATOMIC DROP TABLE t; END',
    // sql_mode=ORACLE: an anonymous block.
    'BEGIN DROP TABLE t; END',
    'START REPLICA',
    'USE other',
    'LOCK TABLES t WRITE',
    'DO 1',
    'ANALYZE TABLE t',
    'SELECT 1 INTO @x',
    'SET STATEMENT foreign_key_checks = 0 FOR DROP TABLE t',
    "INSERT INTO mysql.proc VALUES ('x')",
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'CREATE DATABASE d',
    'ALTER DATABASE scratch CHARACTER SET latin1',
    'CREATE PACKAGE pk AS FUNCTION f RETURN INT; END',
    'FLUSH TABLES',
    // Names in another database: what they change there may reach here (a parent table).
    'CREATE TABLE other.t (id INT)',
    'ALTER TABLE other.t CHANGE a b INT',
    'DROP TABLE t, other.u',
    'CREATE INDEX i ON other.t (a)',
    'CREATE TABLE Scratch.t (id INT)',
    // Text whose tokens depend on the session or the server version.
    '/*!50100 CREATE TABLE t (id INT) */',
    'CREATE TABLE t (id INT) /*M!100100 ENGINE=Aria */',
    "ALTER TABLE t COMMENT 'a\\', RENAME TO u -- '",
    "ALTER TABLE t COMMENT 'unterminated",
    'ALTER TABLE t /* unterminated',
    // Nothing there to read.
    '',
    '(SELECT 1)',
  ];
  for (const sql of unknown) it(JSON.stringify(sql), () => assert.equal(summary(touchedBy(sql)), 'all'));

  it('one uncertain statement makes the whole migration a full read', () => {
    assert.equal(summary(touchedBy('CREATE TABLE a (id INT)', 'DO 1', 'CREATE VIEW v AS SELECT 1')), 'all');
  });
});
