import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DbDoctorError } from '../../src/errors.js';
import {
  compareIds,
  discoverMigrations,
  parseSqlMigration,
  timestampId,
} from '../../src/migrations/files.js';

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-files-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
  return dir;
}

describe('migration files', () => {
  it('orders ids numerically when they are numbers', () => {
    assert.ok(compareIds('2', '10') < 0);
    assert.ok(compareIds('20260128091734', '20260128091735') < 0);
    assert.equal(compareIds('007', '7'), 0);
  });

  it('discovers, orders and hashes files; ignores other files', () => {
    const dir = tempDir({
      '10_b.sql': '-- migrate:up\nSELECT 2;',
      '2_a.sql': '-- migrate:up\nSELECT 1;',
      '3_c.ts': 'export default {up(){}}',
      'README.md': 'notes',
      'types.d.ts': '',
    });
    const files = discoverMigrations(dir);
    assert.deepEqual(
      files.map((f) => [f.id, f.name, f.kind]),
      [
        ['2', 'a', 'sql'],
        ['3', 'c', 'module'],
        ['10', 'b', 'sql'],
      ],
    );
    assert.match(files[0]!.checksum, /^[0-9a-f]{64}$/);
    assert.notEqual(files[0]!.checksum, files[2]!.checksum);
  });

  it('rejects two files with one id, naming both', () => {
    const dir = tempDir({ '1_a.sql': '-- migrate:up\n', '1_b.sql': '-- migrate:up\n' });
    assert.throws(
      () => discoverMigrations(dir),
      (e: unknown) =>
        e instanceof DbDoctorError &&
        e.code === 'DUPLICATE_ID' &&
        /1_a\.sql/.test(e.message) &&
        /1_b\.sql/.test(e.message),
    );
  });

  it('rejects a migration file without an id', () => {
    const dir = tempDir({ 'noid.sql': '-- migrate:up\n' });
    assert.throws(
      () => discoverMigrations(dir),
      (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_FILENAME',
    );
  });

  it('parses dbmate sections and transaction:false', () => {
    const p = parseSqlMigration(
      '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n-- migrate:down\nDROP INDEX i;\n',
      'f.sql',
    );
    assert.equal(p.up.transaction, false);
    assert.equal(p.up.sql, 'CREATE INDEX CONCURRENTLY i ON t (x);');
    assert.equal(p.down?.transaction, true);
    assert.equal(p.down?.sql, 'DROP INDEX i;');
  });

  it('rejects a file with no up section', () => {
    assert.throws(
      () => parseSqlMigration('CREATE TABLE x (a int);', 'f.sql'),
      (e: unknown) => e instanceof DbDoctorError && e.code === 'NO_UP_SECTION',
    );
  });

  it('makes 14-digit UTC timestamp ids', () => {
    assert.equal(timestampId(new Date('2026-01-28T09:17:34.500Z')), '20260128091734');
  });
});
