/**
 * What MODIFY from one MySQL type to another does to values already there (the DATA LOSS lines
 * of `generate` and of the MySQL SQL lint). Each "make it fail" and "lost" case was checked on
 * MariaDB 10.11 in strict mode (the default): the ALTER fails, or the value changes silently.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mysqlLossyTypeChange as lossy, mysqlTypeParts } from '../../src/dialects/mysql/schema-sql.js';

describe('MySQL type changes that lose or reject values', () => {
  it('says what is cut, rounded or refused', () => {
    const cases: [string, string, string | null][] = [
      ['varchar(100)', 'varchar(3)', 'values longer than 3 characters make it fail'],
      ['text', 'varchar(255)', 'values longer than 255 characters make it fail'],
      ['int', 'varchar(5)', 'values longer than 5 characters make it fail'],
      ['int', 'varchar(11)', null],
      ['longtext', 'text', 'values longer than 65535 bytes make it fail'],
      ['decimal(10,2)', 'int', 'fractions are rounded to whole numbers'],
      ['int', 'smallint', "values out of smallint's range make it fail"],
      ['int', 'int unsigned', 'negative values make it fail'],
      ['int unsigned', 'bigint', null],
      ['int unsigned', 'int', "values out of int's range make it fail"],
      [
        'decimal(10,2)',
        'decimal(10,0)',
        'values are rounded to 0 decimal places, and larger ones make it fail',
      ],
      ['decimal(10,2)', 'decimal(6,2)', 'values with more than 4 digits before the point make it fail'],
      ['int', 'decimal(12,2)', null],
      ['double', 'float', 'values are rounded to 6 significant digits'],
      ['bigint', 'double', 'values are rounded to 15 significant digits'],
      ['datetime', 'date', 'the time of day is dropped'],
      ['datetime', 'timestamp', 'values outside 1970-01-01 to 2038-01-19 make it fail'],
      ['datetime(6)', 'datetime', 'fractions of a second past 0 digits are lost'],
      ['datetime', 'datetime(3)', null],
      ["enum('a','b','c')", "enum('a','b')", 'values no longer in its list make it fail'],
      ["enum('a','b')", "enum('a','b','c')", null],
      ['varchar(10)', "enum('x')", "values not in ('x') make it fail"],
      ['varchar(10)', 'varchar(20)', null],
      ['smallint', 'int', null],
    ];
    for (const [from, to, said] of cases) assert.equal(lossy(from, to), said, `${from} -> ${to}`);
  });

  it("reads ENUM values with '' inside them", () => {
    assert.deepEqual(mysqlTypeParts("enum('it''s','a,b')").values, ["it's", 'a,b']);
    assert.deepEqual(mysqlTypeParts('decimal(10,2) unsigned'), {
      base: 'decimal',
      mods: [10, 2],
      unsigned: true,
      values: [],
    });
  });
});
