/**
 * Issue 10 §1: what the doctor's model does not hold must never compare as equal. A catalog
 * of mutations, each a migration that creates a feature X and a hand-made change that removes
 * or alters only X. For each: apply, check the doctor agrees (no false drift), mutate by hand,
 * check `doctor --json` matches no revision and reports SCHEMA_DRIFT, check `doctor --fix`
 * stamps nothing; then put X back spelled differently and check the doctor matches again
 * (spelling is not drift). Every migration 002 also adds a marker column, so removing X alone
 * can never make the database equal to revision 001.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DoctorResult } from '../../src/doctor/doctor.js';
import {
  cli,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';

interface Mutation {
  name: string;
  dialect: TestDialect;
  /** Migration 001 (the base). */
  base: string;
  /** Migration 002: creates X (and the marker column). */
  feature: string;
  /** Statements run one by one by hand: remove or alter only X. */
  mutate: string[];
  /** Statements run one by one by hand: put X back, spelled differently from `feature`. */
  respell: string[];
  /** Migration 003, when the case needs one (e.g. a later VALIDATE CONSTRAINT). */
  later?: string;
  /** The revision the mutated database really is at, when it is one (default: none). */
  matches?: string;
}

const MARK = 'ALTER TABLE t ADD COLUMN marker INTEGER;';
const PG_BASE = 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT, r TSRANGE);';
const SQ_BASE = 'CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT);';

const pg = (m: Omit<Mutation, 'dialect' | 'base'> & { base?: string }): Mutation => ({
  base: PG_BASE,
  dialect: 'postgres',
  ...m,
});
const sq = (m: Omit<Mutation, 'dialect' | 'base'> & { base?: string }): Mutation => ({
  base: SQ_BASE,
  dialect: 'sqlite',
  ...m,
});

const CATALOG: Mutation[] = [
  pg({
    name: 'UNIQUE NULLS NOT DISTINCT',
    feature: `ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE NULLS NOT DISTINCT (a); ${MARK}`,
    mutate: ['ALTER TABLE t DROP CONSTRAINT t_a_key', 'ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)'],
    respell: [
      'ALTER TABLE t DROP CONSTRAINT t_a_key',
      'alter table T add constraint T_A_KEY unique  nulls not distinct(A)',
    ],
  }),
  pg({
    name: 'EXCLUDE USING gist',
    feature: `ALTER TABLE t ADD CONSTRAINT t_r_excl EXCLUDE USING gist (r WITH &&); ${MARK}`,
    mutate: ['ALTER TABLE t DROP CONSTRAINT t_r_excl'],
    respell: ['alter table t add constraint t_r_excl exclude using GIST ( r with && )'],
  }),
  pg({
    name: 'index INCLUDE (col)',
    feature: `CREATE INDEX t_a ON t (a) INCLUDE (b); ${MARK}`,
    mutate: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t (a)'],
    respell: ['DROP INDEX t_a', 'create index T_A on T(A)include(B)'],
  }),
  pg({
    name: 'index operator class text_pattern_ops',
    feature: `CREATE INDEX t_a ON t (a text_pattern_ops); ${MARK}`,
    mutate: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t (a)'],
    respell: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t USING btree (a TEXT_PATTERN_OPS)'],
  }),
  pg({
    name: 'index key COLLATE "C"',
    feature: `CREATE INDEX t_a ON t (a COLLATE "C"); ${MARK}`,
    mutate: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t (a)'],
    respell: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t(a collate "C" ASC)'],
  }),
  pg({
    name: 'index key NULLS FIRST',
    feature: `CREATE INDEX t_b ON t (b NULLS FIRST); ${MARK}`,
    mutate: ['DROP INDEX t_b', 'CREATE INDEX t_b ON t (b)'],
    respell: ['DROP INDEX t_b', 'CREATE INDEX t_b ON t (b ASC NULLS FIRST)'],
  }),
  pg({
    name: 'partition key and strategy',
    feature: `CREATE TABLE p (k INTEGER, v TEXT) PARTITION BY RANGE (k); ${MARK}`,
    mutate: ['DROP TABLE p', 'CREATE TABLE p (k INTEGER, v TEXT) PARTITION BY LIST (k)'],
    respell: ['DROP TABLE p', 'create table P (K integer, V text) partition by range(K)'],
  }),
  pg({
    name: 'partitions',
    feature: `CREATE TABLE p (k INTEGER, v TEXT) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10); ${MARK}`,
    mutate: ['ALTER TABLE p DETACH PARTITION p1'],
    respell: ['ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM ( 0 ) TO ( 10 )'],
  }),
  pg({
    name: 'partition bound',
    feature: `CREATE TABLE p (k INTEGER, v TEXT) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10); ${MARK}`,
    mutate: [
      'ALTER TABLE p DETACH PARTITION p1',
      'ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (20)',
    ],
    respell: [
      'ALTER TABLE p DETACH PARTITION p1',
      'ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10)',
    ],
  }),
  pg({
    name: 'DEFERRABLE INITIALLY DEFERRED',
    feature: `ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b) DEFERRABLE INITIALLY DEFERRED; ${MARK}`,
    mutate: ['ALTER TABLE t DROP CONSTRAINT t_b_key', 'ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b)'],
    respell: [
      'ALTER TABLE t DROP CONSTRAINT t_b_key',
      'alter table t add constraint t_b_key unique(b) initially deferred',
    ],
  }),
  pg({
    name: 'deferrable foreign key',
    feature: `CREATE TABLE u (id INTEGER REFERENCES t (id) DEFERRABLE); ${MARK}`,
    mutate: ['ALTER TABLE u ALTER CONSTRAINT u_id_fkey NOT DEFERRABLE'],
    respell: ['ALTER TABLE u ALTER CONSTRAINT u_id_fkey DEFERRABLE INITIALLY IMMEDIATE'],
  }),
  pg({
    name: 'domain CHECK',
    feature: `CREATE DOMAIN email AS TEXT CHECK (VALUE LIKE '%@%'); ${MARK}`,
    mutate: ['ALTER DOMAIN email DROP CONSTRAINT email_check'],
    respell: [`alter domain email add constraint email_check check(value like '%@%')`],
  }),
  pg({
    name: 'domain',
    feature: `CREATE DOMAIN email AS TEXT; ${MARK}`,
    mutate: ['DROP DOMAIN email'],
    respell: ['create domain EMAIL text'],
  }),
  pg({
    name: 'index on a materialized view',
    feature: `CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t; CREATE INDEX mv_a ON mv (a); ${MARK}`,
    mutate: ['DROP INDEX mv_a'],
    respell: ['create index MV_A on MV(A)'],
  }),
  pg({
    name: 'ENABLE ROW LEVEL SECURITY',
    feature: `ALTER TABLE t ENABLE ROW LEVEL SECURITY; ${MARK}`,
    mutate: ['ALTER TABLE t DISABLE ROW LEVEL SECURITY'],
    respell: ['alter table T enable row level security'],
  }),
  pg({
    name: 'policy',
    feature: `CREATE POLICY own ON t FOR SELECT USING (b > 0); ${MARK}`,
    mutate: ['DROP POLICY own ON t'],
    respell: ['create policy own on T for select using(B>0)'],
  }),
  pg({
    name: 'policy expression',
    feature: `CREATE POLICY own ON t FOR SELECT USING (b > 0); ${MARK}`,
    mutate: ['ALTER POLICY own ON t USING (b > 1)'],
    respell: ['ALTER POLICY own ON t USING ((b > 0))'],
  }),
  pg({
    name: 'FK added NOT VALID, validated later',
    feature: `CREATE TABLE u (id INTEGER); ALTER TABLE u ADD CONSTRAINT u_id_fkey FOREIGN KEY (id) REFERENCES t (id) NOT VALID; ${MARK}`,
    later: 'ALTER TABLE u VALIDATE CONSTRAINT u_id_fkey;',
    mutate: [
      'ALTER TABLE u DROP CONSTRAINT u_id_fkey',
      'ALTER TABLE u ADD CONSTRAINT u_id_fkey FOREIGN KEY (id) REFERENCES t (id) NOT VALID',
    ],
    matches: '002',
    respell: ['alter table U validate constraint U_ID_FKEY'],
  }),
  pg({
    name: 'INVALID index left by a failed CREATE INDEX CONCURRENTLY',
    feature: `CREATE UNIQUE INDEX t_c ON t (c); ${MARK}`,
    mutate: [
      'DROP INDEX t_c',
      "INSERT INTO t (id, c) VALUES (1, 'x'), (2, 'x')",
      'CREATE UNIQUE INDEX CONCURRENTLY t_c ON t (c)',
    ],
    respell: ['DROP INDEX t_c', 'DELETE FROM t', 'create unique index concurrently T_C on T (C)'],
  }),
  pg({
    name: 'function body',
    feature: `CREATE FUNCTION inc(x INTEGER) RETURNS INTEGER LANGUAGE sql AS 'SELECT x + 1'; ${MARK}`,
    mutate: [`CREATE OR REPLACE FUNCTION inc(x INTEGER) RETURNS INTEGER LANGUAGE sql AS 'SELECT x + 2'`],
    respell: [`create or replace function INC(X integer) returns int language SQL as 'SELECT x + 1'`],
  }),
  pg({
    name: 'sequence increment',
    feature: `CREATE SEQUENCE s INCREMENT 5; ${MARK}`,
    mutate: ['ALTER SEQUENCE s INCREMENT 1'],
    respell: ['alter sequence S increment by 5'],
  }),
  pg({
    name: 'composite type',
    feature: `CREATE TYPE pair AS (x INTEGER, y TEXT); ${MARK}`,
    mutate: ['ALTER TYPE pair DROP ATTRIBUTE y'],
    respell: ['alter type PAIR add attribute Y text'],
  }),
  pg({
    name: 'CHECK NO INHERIT',
    feature: `ALTER TABLE t ADD CONSTRAINT t_b_check CHECK (b > 0) NO INHERIT; ${MARK}`,
    mutate: [
      'ALTER TABLE t DROP CONSTRAINT t_b_check',
      'ALTER TABLE t ADD CONSTRAINT t_b_check CHECK (b > 0)',
    ],
    respell: [
      'ALTER TABLE t DROP CONSTRAINT t_b_check',
      'alter table t add constraint t_b_check check(b>0)no inherit',
    ],
  }),
  pg({
    name: 'FK MATCH FULL',
    feature: `CREATE TABLE u (id INTEGER REFERENCES t (id) MATCH FULL); ${MARK}`,
    mutate: [
      'ALTER TABLE u DROP CONSTRAINT u_id_fkey',
      'ALTER TABLE u ADD CONSTRAINT u_id_fkey FOREIGN KEY (id) REFERENCES t (id)',
    ],
    respell: [
      'ALTER TABLE u DROP CONSTRAINT u_id_fkey',
      'alter table u add constraint u_id_fkey foreign key(id) references T(ID) match full',
    ],
  }),
  sq({
    name: 'FTS5 tokenizer options',
    feature: `CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize = 'porter unicode61'); ${MARK}`,
    mutate: ['DROP TABLE docs', 'CREATE VIRTUAL TABLE docs USING fts5(title, body)'],
    respell: [
      'DROP TABLE docs',
      "create virtual table docs using FTS5 (title,body,tokenize='porter unicode61')",
    ],
  }),
  sq({
    name: 'FTS5 columns',
    feature: `CREATE VIRTUAL TABLE docs USING fts5(title, body); ${MARK}`,
    mutate: ['DROP TABLE docs', 'CREATE VIRTUAL TABLE docs USING fts5(title)'],
    respell: ['DROP TABLE docs', 'CREATE VIRTUAL TABLE "docs" USING fts5("title", [body])'],
  }),
  sq({
    name: 'FTS5 virtual table',
    feature: `CREATE VIRTUAL TABLE docs USING fts5(title, body); ${MARK}`,
    mutate: ['DROP TABLE docs'],
    respell: ['create virtual table docs using fts5 ( title , body )'],
  }),
  sq({
    name: 'STRICT',
    feature:
      'CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT; ALTER TABLE t ADD COLUMN marker INTEGER;',
    mutate: ['DROP TABLE s', 'CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)'],
    respell: ['DROP TABLE s', 'create table s (id integer primary key, v text) strict'],
  }),
  sq({
    name: 'WITHOUT ROWID',
    feature:
      'CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID; ALTER TABLE t ADD COLUMN marker INTEGER;',
    mutate: ['DROP TABLE s', 'CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)'],
    respell: ['DROP TABLE s', 'create table s (id integer primary key, v text) without   rowid'],
  }),
  sq({
    name: 'index key COLLATE NOCASE',
    feature: `CREATE INDEX t_a ON t (a COLLATE NOCASE); ${MARK}`,
    mutate: ['DROP INDEX t_a', 'CREATE INDEX t_a ON t (a)'],
    respell: ['DROP INDEX t_a', 'create index t_a on T(A collate nocase)'],
  }),
  sq({
    name: 'partial index predicate',
    feature: `CREATE INDEX t_b ON t (b) WHERE b > 0; ${MARK}`,
    mutate: ['DROP INDEX t_b', 'CREATE INDEX t_b ON t (b)'],
    respell: ['DROP INDEX t_b', 'CREATE INDEX t_b ON t (b) WHERE  b > 0'],
  }),
];

for (const dialect of DIALECTS) {
  const catalog = CATALOG.filter((m) => m.dialect === dialect);
  describe(`doctor mutations on ${dialect} (${catalog.length} in the catalog)`, () => {
    const databases: TestDatabase[] = [];
    after(async () => {
      for (const db of databases) await db.drop();
    });

    for (const m of catalog) {
      it(`${m.name}: removing or altering it by hand is drift, --fix stamps nothing; respelled it matches`, async () => {
        const db = await createTestDatabase(dialect);
        databases.push(db);
        const files: Record<string, string> = {
          '001_base.sql': sqlMigration(m.base),
          '002_feature.sql': sqlMigration(m.feature),
        };
        if (m.later) files['003_later.sql'] = sqlMigration(m.later);
        const dir = writeMigrations(db.dir, files);
        const last = m.later ? '003' : '002';
        const run = (...args: string[]) => cli([...args, '--url', db.url, '--dir', dir], { cwd: db.dir });
        const doctorJson = async (...args: string[]) =>
          (await run('doctor', '--json', ...args)).json<DoctorResult>();
        const byHand = async (statements: string[]) => {
          for (const s of statements) {
            try {
              await rawQuery(db, s);
            } catch (e) {
              // The failed CREATE INDEX CONCURRENTLY is the point of that mutation.
              if (!/CONCURRENTLY/.test(s)) throw e;
            }
          }
        };

        const applied = await run('apply', '--json');
        assert.equal(applied.code, 0, applied.stderr);
        const clean = await doctorJson();
        assert.equal(clean.matches, last, 'no false drift right after apply');
        assert.equal(clean.ok, true, JSON.stringify(clean.findings));

        await byHand(m.mutate);
        const mutated = await doctorJson();
        assert.equal(mutated.matches, m.matches ?? null, JSON.stringify(mutated.findings));
        assert.equal(mutated.ok, false);
        if (m.matches === undefined)
          assert.ok(
            mutated.findings.some((f) => f.code === 'SCHEMA_DRIFT'),
            JSON.stringify(mutated.findings),
          );
        // A database that really is at an earlier revision is told so (and may be stamped
        // there); everything else must leave the history alone.
        if (m.matches === undefined) {
          const fixed = await doctorJson('--fix');
          assert.equal(fixed.ok, false);
          assert.deepEqual(fixed.fixed, []);
          const history = await rawQuery(db, 'SELECT id FROM dbdoctor_migrations ORDER BY id');
          assert.deepEqual(
            history.map((r) => r.id),
            Object.keys(files).map((f) => f.slice(0, 3)),
          );

          await byHand(m.respell);
          const respelled = await doctorJson();
          assert.equal(respelled.matches, last, JSON.stringify(respelled.findings));
          assert.equal(respelled.ok, true, JSON.stringify(respelled.findings));
        }
      });
    }
  });
}
