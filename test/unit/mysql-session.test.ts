import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mysqlLiteral } from '../../src/dialects/mysql/history.js';
import { insertReturns } from '../../src/dialects/mysql/session.js';

describe('MySQL: which servers return the session state from the history upsert', () => {
  it('MariaDB from 10.5 (INSERT … RETURNING); older MariaDB and every MySQL do not', () => {
    for (const v of [
      '10.11.19-MariaDB-0+deb12u1',
      '10.5.0-MariaDB',
      '11.4.2-MariaDB-log',
      '5.5.5-10.6.1-MariaDB',
    ])
      assert.equal(insertReturns(v.replace(/^5\.5\.5-/, '')), true, v);
    for (const v of ['10.4.32-MariaDB', '8.0.36', '8.4.0-commercial', '5.7.44-log', ''])
      assert.equal(insertReturns(v), false, v);
  });
});

describe('MySQL: history values written as literals', () => {
  it('integers as digits; text as a utf8mb4 hex literal, with nothing a sql_mode reads differently', () => {
    assert.equal(mysqlLiteral(42), '42');
    assert.equal(mysqlLiteral('o\'b\\"é'), `_utf8mb4 X'${Buffer.from('o\'b\\"é').toString('hex')}'`);
    assert.equal(mysqlLiteral(''), "_utf8mb4 X''");
    assert.throws(() => mysqlLiteral(1.5));
  });
});
