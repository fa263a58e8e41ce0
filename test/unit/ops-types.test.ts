/**
 * Misuse of the DSL is a compile error: `npm test` type-checks this file (tsc in the lint
 * step), and each @ts-expect-error fails the build if its line ever compiles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addColumn,
  addForeignKey,
  alterColumn,
  createIndex,
  createTable,
  type Operation,
} from '../../src/ops/index.js';

describe('DSL types', () => {
  it('reject unknown types, actions and shapes at compile time', () => {
    // Never called: the compiler refusing each line is the test.
    const misuses: (() => Operation)[] = [
      // @ts-expect-error 'varchar' is not a portable type
      () => addColumn('t', 'a', { type: 'varchar' }),
      // @ts-expect-error 'DELETE' is not a referential action
      () => addForeignKey('t', ['a'], { table: 'u', columns: ['id'] }, { onDelete: 'DELETE' }),
      // @ts-expect-error index columns are a list of names
      () => createIndex('t', 'a'),
      // @ts-expect-error a column needs a type
      () => createTable('t', { columns: { a: { nullable: false } } }),
      // @ts-expect-error alterColumn changes type, nullable or default only
      () => alterColumn('t', 'a', { rename: 'b' }),
    ];
    assert.equal(misuses.length, 5);
    // The correct forms compile and build what they say.
    assert.deepEqual(addColumn('t', 'a', { type: 'text' }), {
      kind: 'addColumn',
      table: 't',
      column: 'a',
      spec: { type: 'text' },
    });
  });
});
