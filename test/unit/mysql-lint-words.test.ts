import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsParse, statementWords } from '../../src/dialects/mysql/sql-lint.js';

describe('MySQL lint: which statements need the parser', () => {
  it('reads words outside quotes and comments, and executable comments as code', () => {
    assert.deepEqual(
      statementWords('# x\n-- DROP\n/* DROP */ INSERT INTO `drop` VALUES (\'drop\', "x\\"drop")'),
      ['INSERT', 'INTO', 'VALUES'],
    );
    assert.deepEqual(statementWords('/*!40101 DROP TABLE t */'), ['DROP', 'TABLE', 'T']);
    assert.deepEqual(statementWords('/*M!100301 TRUNCATE t */'), ['TRUNCATE', 'T']);
  });

  it('parses whatever a rule judges, defers CREATE TABLE, skips the rest', () => {
    const cases: [string, 'skip' | 'defer' | 'parse'][] = [
      ['DROP TABLE t', 'parse'],
      ['  -- why\n  alter table t add column c int', 'parse'],
      ['TRUNCATE t', 'parse'],
      ['RENAME TABLE a TO b', 'parse'],
      ['/*!40101 DROP TABLE t */', 'parse'],
      ['(SELECT 1)', 'skip'],
      ['SET foreign_key_checks = 0', 'defer'],
      ['CREATE TABLE t (id INT)', 'defer'],
      ['CREATE OR REPLACE TEMPORARY TABLE t (id INT)', 'defer'],
      ['CREATE FULLTEXT INDEX f ON t (body)', 'parse'],
      ['CREATE INDEX i ON t (a) ALGORITHM=COPY', 'parse'],
      ['CREATE INDEX i ON t (a) LOCK = SHARED', 'parse'],
      ['CREATE UNIQUE INDEX i ON t (a)', 'skip'],
      ['CREATE INDEX `lock` ON t (a)', 'skip'],
      ['CREATE VIEW v AS SELECT 1', 'skip'],
      ['CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1', 'skip'],
      ["INSERT INTO t VALUES ('DROP TABLE x')", 'skip'],
      ['', 'skip'],
    ];
    for (const [sql, want] of cases) assert.equal(needsParse(sql), want, sql);
  });
});
