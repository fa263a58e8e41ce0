import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/config-file.js';
import { nameFilter } from '../../src/dialects/exclude.js';
import { clusterWideReason, withoutPasswords } from '../../src/dialects/postgres/cluster-statements.js';
import { DbDoctorError } from '../../src/errors.js';
import { SESSION_TABLES } from '../../src/sessions/names.js';

describe('PostgreSQL statements that reach beyond the scratch database', () => {
  const outside = [
    'CREATE ROLE app LOGIN',
    "ALTER ROLE app PASSWORD 'x'",
    '/* c */ alter user app set work_mem = 1',
    'DROP GROUP g',
    'GRANT admin TO app',
    'REVOKE admin FROM app',
    'GRANT CONNECT ON DATABASE live TO app',
    "ALTER SYSTEM SET work_mem = '1MB'",
    'CREATE DATABASE other',
    'DROP DATABASE other',
    "ALTER DATABASE live SET timezone = 'UTC'",
    "CREATE TABLESPACE t LOCATION '/tmp'",
    'REASSIGN OWNED BY a TO b',
    "COMMENT ON ROLE app IS 'x'",
    "COPY t TO '/tmp/x'",
    "COPY t FROM PROGRAM 'id'",
    "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p",
  ];
  for (const sql of outside) {
    it(`skips ${sql}`, () => assert.notEqual(clusterWideReason(sql, 'scratch'), null));
  }
  const inside = [
    'CREATE TABLE roles (id int)',
    'GRANT SELECT ON accounts TO app',
    'REVOKE ALL ON TABLE accounts FROM app',
    "ALTER DATABASE scratch SET timezone = 'UTC'",
    'COPY t FROM STDIN',
    "COMMENT ON TABLE t IS 'role'",
    'DROP OWNED BY app',
    "INSERT INTO users (role) VALUES ('CREATE ROLE x')",
    'SET ROLE app',
  ];
  for (const sql of inside) {
    it(`runs ${sql}`, () => assert.equal(clusterWideReason(sql, 'scratch'), null));
  }
  it('masks passwords in what it prints', () => {
    assert.equal(
      withoutPasswords("ALTER ROLE a PASSWORD 'hunter2' VALID UNTIL 'infinity'"),
      "ALTER ROLE a PASSWORD '***' VALID UNTIL 'infinity'",
    );
  });
});

describe('doctor ignore list', () => {
  it('matches names and globs exactly', () => {
    const f = nameFilter(['legacy', 'tmp_*', 'a?c']);
    assert.ok(f.has('legacy') && f.has('tmp_') && f.has('tmp_x') && f.has('abc'));
    assert.ok(!f.has('legacy2') && !f.has('xtmp_') && !f.has('ac') && !f.has('a.c.'));
  });

  it('the config accepts `ignore` and `scratchUrl` and refuses wrong types', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-config-'));
    const write = (v: unknown) => fs.writeFileSync(path.join(dir, 'dbdoctor.config.json'), JSON.stringify(v));
    write({ ignore: ['a', 'b_*'], scratchUrl: 'postgres://h/db' });
    assert.deepEqual(loadConfigFile(undefined, dir).config.ignore, ['a', 'b_*']);
    for (const bad of [{ ignore: 'a' }, { ignore: [1] }, { scratchUrl: 5 }]) {
      write(bad);
      assert.throws(
        () => loadConfigFile(undefined, dir),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'CONFIG_INVALID',
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SESSION_TABLES are exactly the tables the session migrations create', () => {
    for (const dialect of ['sqlite', 'postgres', 'mysql']) {
      const folder = path.resolve(import.meta.dirname, '../../sessions-migrations', dialect);
      const text = fs
        .readdirSync(folder)
        .map((f) => fs.readFileSync(path.join(folder, f), 'utf8'))
        .join('\n');
      const created = [...text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]);
      assert.deepEqual([...new Set(created)].sort(), [...SESSION_TABLES].sort());
    }
  });
});
