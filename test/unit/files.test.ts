import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DbDoctorError } from '../../src/errors.js';
import { listMigrations } from '../../src/formats/index.js';
import {
  checksumOf,
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

  it('ids equal as numbers (1 and 01) or as Unicode text (NFC and NFD) are duplicates', () => {
    for (const [a, b] of [
      ['1_a.sql', '01_b.sql'],
      ['\u00e9t\u00e9_a.sql', 'e\u0301te\u0301_b.sql'],
    ] as const) {
      const dir = tempDir({ [a]: '-- migrate:up\n', [b]: '-- migrate:up\n' });
      assert.throws(
        () => discoverMigrations(dir),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'DUPLICATE_ID',
        `${a} and ${b}`,
      );
    }
  });

  it('drops a UTF-8 byte-order mark and reads CRLF section lines; the checksum is of the raw bytes', () => {
    const raw = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        '-- migrate:up\r\nCREATE TABLE a (x int);\r\n-- migrate:down transaction:false\r\nDROP TABLE a;\r\n',
      ),
    ]);
    const dir = tempDir({});
    fs.writeFileSync(path.join(dir, '1_bom.sql'), raw);
    const [f] = discoverMigrations(dir);
    assert.equal(f!.checksum, checksumOf(raw));
    assert.ok(!f!.text!.startsWith('\ufeff'));
    const p = parseSqlMigration(f!.text!, '1_bom.sql');
    assert.equal(p.up.sql, 'CREATE TABLE a (x int);');
    assert.equal(p.down?.sql, 'DROP TABLE a;');
    assert.equal(p.down?.transaction, false);
    // parseSqlMigration alone also ignores a leading BOM (library callers pass their own text).
    assert.equal(parseSqlMigration('\ufeff-- migrate:up\nSELECT 1;', 'f.sql').up.sql, 'SELECT 1;');
  });

  it('rejects a SQL file that is not UTF-8 (UTF-16, or invalid bytes)', () => {
    for (const bytes of [
      Buffer.from('\ufeff-- migrate:up\n', 'utf16le'),
      Buffer.from([0x2d, 0x2d, 0x20, 0xc3, 0x28, 0x0a]),
    ]) {
      const dir = tempDir({});
      fs.writeFileSync(path.join(dir, '1_enc.sql'), bytes);
      assert.throws(
        () => discoverMigrations(dir),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_ENCODING',
      );
    }
  });

  it('follows links: a linked migration file, and a linked Prisma or Diesel migration folder', () => {
    // The listing knows each entry's type from the folder itself; a link's is the link's, so
    // what it points to must still be looked at.
    const elsewhere = tempDir({ 'real.sql': '-- migrate:up\nSELECT 2;' });
    const dir = tempDir({ '1_a.sql': '-- migrate:up\nSELECT 1;' });
    fs.symlinkSync(path.join(elsewhere, 'real.sql'), path.join(dir, '2_b.sql'));
    assert.deepEqual(
      discoverMigrations(dir).map((f) => [f.id, f.checksum]),
      [
        ['1', checksumOf('-- migrate:up\nSELECT 1;')],
        ['2', checksumOf('-- migrate:up\nSELECT 2;')],
      ],
    );
    for (const [format, inner] of [
      ['prisma', 'migration.sql'],
      ['diesel', 'up.sql'],
    ] as const) {
      const target = tempDir({ [inner]: 'CREATE TABLE t (id INT);' });
      const project = tempDir({});
      fs.symlinkSync(target, path.join(project, '20260101000000_init'), 'dir');
      const listing = listMigrations(project);
      assert.equal(listing.format, format);
      assert.deepEqual(
        listing.files.map((f) => [f.id, f.checksum]),
        [['20260101000000', checksumOf('CREATE TABLE t (id INT);')]],
      );
    }
  });

  it('refuses folders, FIFOs, broken and looping symlinks without reading them', () => {
    const cases: Record<string, (full: string) => void> = {
      'a folder': (full) => fs.mkdirSync(full),
      'a named pipe (FIFO)': (full) => execFileSync('mkfifo', [full]),
      'does not exist': (full) => fs.symlinkSync(path.join(path.dirname(full), 'gone.sql'), full),
      loops: (full) => {
        fs.symlinkSync(`${full}.other`, full);
        fs.symlinkSync(full, `${full}.other`);
      },
    };
    for (const [what, make] of Object.entries(cases)) {
      const dir = tempDir({ '1_ok.sql': '-- migrate:up\nSELECT 1;' });
      make(path.join(dir, '004_x.sql'));
      assert.throws(
        () => discoverMigrations(dir),
        (e: unknown) =>
          e instanceof DbDoctorError &&
          e.code === 'MIGRATION_FILE_UNREADABLE' &&
          e.message.includes('004_x.sql') &&
          e.message.includes(what),
        what,
      );
    }
  });
});
