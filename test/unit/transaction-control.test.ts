import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../src/dialects/builtin.js';
import { splitStatements } from '../../src/migrations/split.js';
import { transactionControl, unwrapTransaction } from '../../src/migrations/transaction-control.js';

const kind = (sql: string) => transactionControl(sql)?.kind ?? null;

describe('transactionControl', () => {
  it('finds every way SQLite and PostgreSQL start, end or abandon a transaction', () => {
    for (const sql of [
      'BEGIN',
      'begin transaction',
      'BEGIN IMMEDIATE',
      'BEGIN EXCLUSIVE TRANSACTION',
      'Begin Deferred',
      'BEGIN WORK',
      'BEGIN ISOLATION LEVEL SERIALIZABLE',
      'START TRANSACTION READ WRITE',
    ])
      assert.equal(kind(sql), 'begin', sql);
    for (const sql of [
      'COMMIT',
      'commit transaction',
      'COMMIT WORK',
      'END',
      'END TRANSACTION',
      'COMMIT AND CHAIN',
    ])
      assert.equal(kind(sql), 'commit', sql);
    for (const sql of ['ROLLBACK', 'rollback transaction', 'ROLLBACK WORK', 'ABORT', 'ROLLBACK AND NO CHAIN'])
      assert.equal(kind(sql), 'rollback', sql);
    for (const sql of ["PREPARE TRANSACTION 'x'", "COMMIT PREPARED 'x'", "ROLLBACK PREPARED 'x'"])
      assert.equal(kind(sql), 'two-phase', sql);
  });

  it('looks past leading comments and reports where the keyword starts', () => {
    const sql = '-- done with part one\n/* really */ COMMIT';
    const c = transactionControl(sql);
    assert.equal(c?.kind, 'commit');
    assert.equal(c?.text, 'COMMIT');
    assert.equal(sql.slice(c!.offset), 'COMMIT');
  });

  it('leaves savepoints, BEGIN ATOMIC, trigger bodies and look-alikes alone', () => {
    for (const sql of [
      'ROLLBACK TO sp1',
      'ROLLBACK TO SAVEPOINT sp1',
      'ROLLBACK TRANSACTION TO SAVEPOINT sp1',
      'SAVEPOINT sp1',
      'RELEASE SAVEPOINT sp1',
      'BEGIN ATOMIC SELECT 1; END',
      'PREPARE q AS SELECT 1',
      'CREATE TABLE commits (id int)',
      'INSERT INTO t (x) VALUES (1) -- then COMMIT',
      'INSERT OR ROLLBACK INTO t VALUES (1)',
      'UPDATE t SET x = CASE WHEN y THEN 1 ELSE 0 END',
      'DO $$ BEGIN PERFORM 1; COMMIT; END $$',
      'endpoint_table_does_not_exist',
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
    ])
      assert.equal(kind(sql), null, sql);
    const [trigger] = splitStatements(
      'CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (1); END;',
      'sqlite',
    );
    assert.equal(kind(trigger!), null);
    const fn = `CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END`;
    assert.equal(kind(fn), null);
  });
});

describe('unwrapTransaction', () => {
  it('drops a BEGIN … COMMIT around every statement', () => {
    const r = unwrapTransaction([
      'BEGIN TRANSACTION',
      'CREATE TABLE a (x int)',
      'INSERT INTO a VALUES (1)',
      'COMMIT',
    ]);
    assert.deepEqual(r, {
      statements: ['CREATE TABLE a (x int)', 'INSERT INTO a VALUES (1)'],
      control: null,
    });
    assert.deepEqual(unwrapTransaction(['START TRANSACTION', 'SELECT 1', 'END']).statements, ['SELECT 1']);
  });

  it('reports transaction control anywhere else, first one first', () => {
    const r = unwrapTransaction(['CREATE TABLE a (x int)', 'COMMIT', 'BEGIN', 'CREATE TABLE b (x int)']);
    assert.equal(r.control?.index, 1);
    assert.equal(r.control?.kind, 'commit');
    assert.equal(
      unwrapTransaction(['BEGIN', 'SELECT 1', 'COMMIT', 'BEGIN', 'SELECT 2', 'COMMIT']).control?.index,
      0,
    );
    assert.equal(unwrapTransaction(['BEGIN', 'SELECT 1', 'ROLLBACK']).control?.index, 0);
    assert.equal(unwrapTransaction(['SELECT 1', 'COMMIT']).control?.index, 1);
  });

  it('keeps a file without transaction control as it is', () => {
    assert.deepEqual(unwrapTransaction(['SELECT 1', 'SELECT 2']), {
      statements: ['SELECT 1', 'SELECT 2'],
      control: null,
    });
    assert.deepEqual(unwrapTransaction([]), { statements: [], control: null });
  });
});
