/**
 * On MySQL the doctor's replay re-reads only what each migration's statements touched (read from
 * their text: src/dialects/mysql/touched.ts). Truth demands that this equals reading everything.
 * The real replay (expectedSchemas: loading, history writes, session restore, SQL, DSL and
 * function migrations) runs with a dialect whose introspection, after every migration, reads
 * both ways and requires the same model and fingerprint. So that the test cannot pass by
 * always reading everything, each migration also says which read it must get: a partial one
 * when every statement is one the reader knows, a full one when any is not (or the migration is
 * a function, or an event exists). Histories: randomly generated ones (fixed seeds) of every
 * kind of statement the reader knows, with foreign keys between tables, renames, drops,
 * triggers, views, routines, sequences, DSL and function migrations; the hand-written TRICKY
 * one; and every MySQL example and fixture project.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Connection, Dialect, IntrospectOptions } from '../../src/dialects/dialect.js';
import { splitMysqlStatements } from '../../src/dialects/mysql/split.js';
import { openConnection } from '../../src/dialects/open.js';
import { expectedSchemas } from '../../src/doctor/expected.js';
import { discoverMigrations } from '../../src/migrations/files.js';
import { addColumn, addForeignKey, createIndex, createTable, renameColumn } from '../../src/ops/builders.js';
import type { Operation } from '../../src/ops/types.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { exampleProjects, fixtureProjects, linkPackage } from '../helpers/projects.js';

const ON = DIALECTS.includes('mysql');
if (!ON) console.log('# MySQL incremental replay not tested: mysql is not in DBDOCTOR_TEST_DIALECTS');

/** One migration file and the read it must get after it (null: either). */
interface Step {
  file: string;
  text: string;
  expect: 'partial' | 'full' | null;
}

/** Statements whose effect the reader cannot know from their text, each needing a full read. */
const UNKNOWN = [
  'DO 1',
  'ANALYZE TABLE {t}',
  'SET STATEMENT max_statement_time = 0 FOR ALTER TABLE {t} ADD COLUMN z{n} INT',
  'SELECT 1 INTO @x{n}',
];

/** A small deterministic generator (mulberry32): the same histories on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenTable {
  name: string;
  pk: string;
  extra: string[];
  fks: { name: string; parent: string }[];
  indexes: string[];
}

/** A random history of `count` migrations that all succeed on an empty database. */
function randomHistory(seed: number, count: number): Step[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const tables: GenTable[] = [];
  const views = new Set<string>();
  const triggers = new Map<string, string>();
  const routines = new Set<string>();
  const sequences = new Set<string>();
  let n = 0;
  const fresh = (p: string) => `${p}${++n}`;
  const q = (name: string) => (r() < 0.3 ? `\`${name}\`` : name);
  const children = (t: GenTable) => tables.filter((c) => c.fks.some((f) => f.parent === t.name));
  const steps: Step[] = [];

  for (let m = 0; m < count; m++) {
    const id = String(m + 1).padStart(3, '0');
    const dice = r();
    if (dice < 0.08 && tables.length > 0) {
      // A DSL migration: its statements are compiled and run through the connection.
      const t = pick(tables);
      const name = fresh('Dsl');
      const ops: Operation[] = [
        createTable(name, {
          columns: {
            id: { type: 'integer', primaryKey: true },
            ref: { type: 'integer' },
            c1: { type: 'integer' },
            c2: { type: 'text' },
            note: { type: 'text' },
          },
        }),
        addColumn(t.name, fresh('dc'), { type: 'integer', default: 7 }),
        createIndex(name, ['ref'], { name: `${name}_ref` }),
        addForeignKey(name, ['ref'], { table: t.name, columns: [t.pk] }, { name: `${name}_fk` }),
      ];
      const renamed = r() < 0.4;
      if (renamed) ops.push(renameColumn(name, 'note', 'remark'));
      tables.push({ name, pk: 'id', extra: [], fks: [{ name: `${name}_fk`, parent: t.name }], indexes: [] });
      steps.push({
        file: `${id}_dsl.mjs`,
        text: `export default ${JSON.stringify({ ops })};\n`,
        // A column rename is RENAME COLUMN on MySQL: a full read.
        expect: renamed ? 'full' : 'partial',
      });
      continue;
    }
    if (dice < 0.12 && tables.length > 0) {
      const t = pick(tables);
      const col = fresh('fn');
      t.extra.push(col);
      steps.push({
        file: `${id}_function.mjs`,
        text: `export default { async up(db) { await db.sql('ALTER TABLE ${t.name} ADD COLUMN ${col} INT'); } };\n`,
        expect: 'full',
      });
      continue;
    }
    const statements: string[] = [];
    let full = false;
    const per = 1 + Math.floor(r() * 3);
    for (let s = 0; s < per; s++) {
      const kind = tables.length === 0 ? 0 : Math.floor(r() * 24);
      const t = tables.length > 0 ? pick(tables) : null;
      switch (kind) {
        case 0:
        case 1:
        case 2: {
          const name = fresh(r() < 0.3 ? 'Tab' : 't');
          const parent = tables.length > 0 && r() < 0.6 ? pick(tables) : null;
          const fk = parent ? fresh('fk') : null;
          const cols = ['id INT PRIMARY KEY', 'c1 INT', "c2 VARCHAR(20) DEFAULT 'x'"];
          if (parent)
            cols.push(
              'p_id INT',
              `CONSTRAINT ${fk} FOREIGN KEY (p_id) REFERENCES ${parent.name} (${parent.pk}) ON DELETE CASCADE`,
            );
          const form = r();
          if (form < 0.15 && t && t.fks.length === 0) {
            statements.push(`CREATE TABLE ${q(name)} LIKE ${q(t.name)}`);
            tables.push({ name, pk: t.pk, extra: [...t.extra], fks: [], indexes: [...t.indexes] });
            break;
          }
          const head =
            form < 0.3
              ? 'CREATE TABLE IF NOT EXISTS'
              : form < 0.4
                ? 'CREATE OR REPLACE TABLE'
                : 'CREATE TABLE';
          statements.push(`${head} ${q(name)} (${cols.join(', ')})`);
          tables.push({
            name,
            pk: 'id',
            extra: [],
            fks: parent && fk ? [{ name: fk, parent: parent.name }] : [],
            indexes: [],
          });
          break;
        }
        case 3: {
          const col = fresh('col');
          t!.extra.push(col);
          statements.push(`ALTER TABLE ${q(t!.name)} ADD COLUMN ${col} INT DEFAULT ${n}`);
          break;
        }
        case 4: {
          if (t!.extra.length === 0) break;
          const col = t!.extra.pop()!;
          if (t!.indexes.some((i) => i.startsWith(`${col}_`))) {
            t!.extra.push(col);
            break;
          }
          statements.push(`ALTER TABLE ${q(t!.name)} DROP COLUMN ${col}`);
          break;
        }
        case 5:
          statements.push(`ALTER TABLE ${q(t!.name)} MODIFY c2 VARCHAR(${20 + (n++ % 30)}) DEFAULT 'y'`);
          break;
        case 6: {
          // CHANGE renames a column without the word RENAME; the referenced key of every child
          // follows (InnoDB rewrites their foreign keys): the children must be read again too.
          const to = fresh('pk');
          statements.push(`ALTER TABLE ${q(t!.name)} CHANGE ${t!.pk} ${to} INT NOT NULL`);
          t!.pk = to;
          break;
        }
        case 7: {
          const idx = `c1_${fresh('i')}`;
          t!.indexes.push(idx);
          statements.push(
            pick([
              `CREATE INDEX ${idx} ON ${q(t!.name)} (c1)`,
              `CREATE UNIQUE INDEX ${idx} ON ${q(t!.name)} (c1, ${t!.pk})`,
              `ALTER TABLE ${q(t!.name)} ADD INDEX ${idx} (c1)`,
            ]),
          );
          break;
        }
        case 8: {
          if (t!.indexes.length === 0) break;
          const idx = t!.indexes.pop()!;
          statements.push(
            r() < 0.5 ? `DROP INDEX ${idx} ON ${q(t!.name)}` : `ALTER TABLE ${q(t!.name)} DROP INDEX ${idx}`,
          );
          break;
        }
        case 9: {
          const to = fresh(r() < 0.5 ? 'R' : 'r');
          statements.push(
            r() < 0.5 ? `RENAME TABLE ${q(t!.name)} TO ${to}` : `ALTER TABLE ${q(t!.name)} RENAME TO ${to}`,
          );
          for (const c of tables) for (const f of c.fks) if (f.parent === t!.name) f.parent = to;
          for (const [tr, on] of triggers) if (on === t!.name) triggers.set(tr, to);
          t!.name = to;
          full = true;
          break;
        }
        case 10: {
          const col = fresh('rc');
          statements.push(
            `ALTER TABLE ${q(t!.name)} RENAME COLUMN c2 TO ${col}`,
            `ALTER TABLE ${q(t!.name)} RENAME COLUMN ${col} TO c2`,
          );
          full = true;
          break;
        }
        case 11: {
          const parent = pick(tables);
          const fk = fresh('fk');
          const col = fresh('ref');
          t!.fks.push({ name: fk, parent: parent.name });
          statements.push(
            `ALTER TABLE ${q(t!.name)} ADD COLUMN ${col} INT, ADD CONSTRAINT ${fk} FOREIGN KEY (${col}) REFERENCES ${q(parent.name)} (${parent.pk})`,
          );
          break;
        }
        case 12: {
          if (t!.fks.length === 0) break;
          const fk = t!.fks.pop()!;
          statements.push(`ALTER TABLE ${q(t!.name)} DROP FOREIGN KEY ${fk.name}`);
          break;
        }
        case 13: {
          const tr = fresh('trg');
          triggers.set(tr, t!.name);
          statements.push(
            `CREATE TRIGGER ${tr} BEFORE INSERT ON ${q(t!.name)} FOR EACH ROW SET NEW.c1 = ${n}`,
          );
          break;
        }
        case 14: {
          const tr = [...triggers.keys()][0];
          if (!tr) break;
          triggers.delete(tr);
          statements.push(`DROP TRIGGER ${r() < 0.5 ? 'IF EXISTS ' : ''}${tr}`);
          break;
        }
        case 15: {
          const v = views.size > 0 && r() < 0.4 ? [...views][0]! : fresh('v');
          views.add(v);
          statements.push(
            `CREATE OR REPLACE VIEW ${v} AS SELECT ${t!.pk}, c1 FROM ${q(t!.name)} WHERE c1 > ${n}`,
          );
          break;
        }
        case 16: {
          const v = [...views][0];
          if (!v) break;
          views.delete(v);
          statements.push(`DROP VIEW ${v}`);
          break;
        }
        case 17: {
          // Drop a table no other table references (with its triggers), sometimes two at once.
          const leaves = tables.filter((x) => children(x).length === 0);
          if (leaves.length === 0) break;
          const gone = leaves.slice(0, r() < 0.3 ? 2 : 1);
          statements.push(
            `DROP TABLE ${r() < 0.5 ? 'IF EXISTS ' : ''}${gone.map((g) => q(g.name)).join(', ')}`,
          );
          for (const g of gone) {
            tables.splice(tables.indexOf(g), 1);
            for (const [tr, on] of triggers) if (on === g.name) triggers.delete(tr);
          }
          break;
        }
        case 18:
          statements.push(
            pick([
              `INSERT INTO ${q(t!.name)} (${t!.pk}) VALUES (${n++})`,
              `UPDATE ${q(t!.name)} SET c1 = c1 + 1`,
              `DELETE FROM ${q(t!.name)} WHERE c1 < 0`,
              `SET @v${n} = ${n}`,
              `SELECT COUNT(*) FROM ${q(t!.name)}`,
            ]),
          );
          break;
        case 19: {
          if (routines.size > 0 && r() < 0.4) {
            const f = [...routines][0]!;
            routines.delete(f);
            statements.push(`DROP ${f.startsWith('f') ? 'FUNCTION' : 'PROCEDURE'} ${f}`);
            break;
          }
          const f = fresh(r() < 0.5 ? 'f' : 'p');
          routines.add(f);
          statements.push(
            f.startsWith('f')
              ? `CREATE FUNCTION ${f}(x INT) RETURNS INT DETERMINISTIC RETURN x + ${n}`
              : `CREATE PROCEDURE ${f}() MODIFIES SQL DATA DELETE FROM ${q(t!.name)} WHERE c1 = ${n}`,
          );
          break;
        }
        case 20: {
          const s = [...sequences][0];
          if (s && r() < 0.5) {
            if (r() < 0.5) statements.push(`ALTER SEQUENCE ${s} INCREMENT BY ${2 + (n++ % 5)}`);
            else {
              sequences.delete(s);
              statements.push(`DROP SEQUENCE ${s}`);
            }
            break;
          }
          const seq = fresh('seq');
          sequences.add(seq);
          statements.push(`CREATE SEQUENCE ${seq} START WITH ${n}`);
          break;
        }
        case 21: {
          if (children(t!).length > 0) break;
          statements.push(`TRUNCATE TABLE ${q(t!.name)}`);
          break;
        }
        case 22: {
          statements.push(pick(UNKNOWN).replaceAll('{t}', q(t!.name)).replaceAll('{n}', String(++n)));
          full = true;
          break;
        }
        case 23: {
          // Whole-table rewrites that keep the table where it is.
          statements.push(
            pick([
              `ALTER TABLE ${q(t!.name)} ENGINE = InnoDB`,
              `ALTER TABLE ${q(t!.name)} COMMENT = 'n${n}'`,
              `ALTER TABLE ${q(t!.name)} ADD CONSTRAINT ${fresh('ck')} CHECK (c1 IS NULL OR c1 > -${n})`,
            ]),
          );
          break;
        }
      }
    }
    if (statements.length === 0) statements.push('SELECT 1');
    steps.push({
      file: `${id}_m.sql`,
      text: `-- migrate:up\n${statements.map((s) => `${s};`).join('\n')}\n\n-- migrate:down\n`,
      expect: full ? 'full' : 'partial',
    });
  }
  return steps;
}

/** Hand-written: renames and drops whose effects reach other tables, and an event last. */
const TRICKY: string[] = [
  `CREATE TABLE parent (id INT PRIMARY KEY, code INT UNIQUE);
   CREATE TABLE child (id INT PRIMARY KEY, parent_code INT, CONSTRAINT child_fk FOREIGN KEY (parent_code) REFERENCES parent (code));
   CREATE TABLE Mixed (id INT PRIMARY KEY);
   CREATE VIEW pv AS SELECT id, code FROM parent;`,
  'ALTER TABLE parent CHANGE code kode INT',
  'ALTER TABLE `Mixed` ADD COLUMN n INT',
  'CREATE TRIGGER child_a BEFORE INSERT ON child FOR EACH ROW SET NEW.parent_code = NEW.parent_code;\nCREATE TRIGGER child_b BEFORE INSERT ON child FOR EACH ROW FOLLOWS child_a SET NEW.id = NEW.id;',
  'DROP TRIGGER child_a',
  'ALTER TABLE parent RENAME TO mother',
  'SET foreign_key_checks = 0;\nDROP TABLE mother;\nSET foreign_key_checks = 1;',
  'CREATE TABLE mother (id INT PRIMARY KEY, kode INT UNIQUE)',
  'CREATE OR REPLACE TABLE child (id INT PRIMARY KEY)',
  "CREATE TABLE ansi (id INT PRIMARY KEY);\nALTER TABLE /* a comment naming RENAME */ ansi ADD COLUMN `rename` INT COMMENT 'RENAME TO x'",
  'CREATE SEQUENCE s1;\nALTER SEQUENCE s1 INCREMENT BY 5',
  'CREATE TABLE t2 AS SELECT id FROM mother',
  'DROP TABLE IF EXISTS t2, nothing_here',
  'CREATE EVENT e1 ON SCHEDULE EVERY 1 DAY DO DELETE FROM mother WHERE id < 0',
  'ALTER TABLE mother ADD COLUMN after_event INT',
];

interface History {
  name: string;
  steps: Step[];
  /** Files to copy beside the steps (a project's own folder), when it has its own files. */
  dir?: string;
}

function sqlSteps(migrations: string[], expectLast: (i: number) => Step['expect']): Step[] {
  return migrations.map((m, i) => ({
    file: `${String(i + 1).padStart(3, '0')}_m.sql`,
    text: `-- migrate:up\n${m}\n\n-- migrate:down\n`,
    expect: expectLast(i),
  }));
}

const histories: History[] = [
  ...[1, 2, 3, 4, 5, 6].map((seed) => ({
    name: `random history, seed ${seed}`,
    steps: randomHistory(seed, 40),
  })),
  {
    name: 'tricky DDL',
    // Renames are full reads; after the event exists every read is full (its scheduler may run it).
    steps: sqlSteps(TRICKY, (i) => (i === 5 || i >= 14 ? 'full' : 'partial')),
  },
  {
    // The objects doctor-project-mutations' MySQL project adds to the examples, one a migration.
    name: 'mysql features',
    steps: sqlSteps(
      [
        `CREATE TABLE items (id INT PRIMARY KEY, price INT NOT NULL, qty INT NOT NULL DEFAULT 1,
           total INT AS (price * qty) VIRTUAL, CONSTRAINT price_ok CHECK (price >= 0))`,
        'CREATE VIEW cheap AS SELECT id, price FROM items WHERE price < 10 WITH CHECK OPTION',
        'CREATE TRIGGER items_a BEFORE INSERT ON items FOR EACH ROW SET NEW.qty = NEW.qty + 1',
        'CREATE TRIGGER items_b BEFORE INSERT ON items FOR EACH ROW SET NEW.qty = NEW.qty * 2',
        'CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2',
        'CREATE PROCEDURE clear_items(IN below INT) MODIFIES SQL DATA DELETE FROM items WHERE price < below',
        'CREATE SEQUENCE item_ids START WITH 1 INCREMENT BY 1',
        'ALTER TABLE items MODIFY qty BIGINT NOT NULL DEFAULT 2',
        'DROP TABLE items',
      ].map((m) => `${m};`),
      () => 'partial',
    ),
  },
  ...exampleProjects(['mysql']).map((p) => ({
    name: p.name,
    steps: Object.keys(p.files)
      .sort()
      .map((f) => ({ file: f, text: p.files[f]!, expect: null })),
  })),
  // Each fixture schema, one statement a migration, so every kind of object in it is read partially.
  ...fixtureProjects()
    .filter((p) => p.dialect === 'mysql')
    .map((p) => ({
      name: `${p.name}, a statement a migration`,
      steps: sqlSteps(
        Object.values(p.files)
          .flatMap((text) =>
            splitMysqlStatements(
              text.replace(/^-- migrate:up\n/, '').replace(/\n-- migrate:down[\s\S]*$/, ''),
            ),
          )
          .map((s) =>
            s.includes('\n') && /^CREATE\b.*\b(PROCEDURE|FUNCTION|TRIGGER|EVENT)\b/i.test(s)
              ? `DELIMITER //\n${s}\n//\nDELIMITER ;`
              : `${s};`,
          ),
        () => null,
      ),
    })),
  {
    name: 'examples/assessment/portable (DSL)',
    steps: [],
    dir: path.resolve(import.meta.dirname, '../../examples/assessment/portable'),
  },
];

describe('MySQL: the replay re-reads what each migration touched, and that equals a full read', {
  skip: !ON,
}, () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
  });
  for (const h of histories) {
    it(h.name, async () => {
      const db = await createTestDatabase('mysql');
      databases.push(db);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-myreplay-'));
      linkPackage(dir);
      if (h.dir)
        for (const f of fs.readdirSync(h.dir)) fs.copyFileSync(path.join(h.dir, f), path.join(dir, f));
      for (const s of h.steps) fs.writeFileSync(path.join(dir, s.file), s.text);
      const files = discoverMigrations(dir);
      const expectOf = new Map(h.steps.map((s) => [s.file, s.expect]));
      const conn = await openConnection(db.url, {});
      const reads: ('partial' | 'full')[] = [];
      const real = conn.dialect;
      const checking: Dialect = {
        ...real,
        async introspect(c: Connection, options: IntrospectOptions) {
          const log = (c as unknown as { ran?: string[] }).ran;
          assert.ok(log, 'the replay runs on a scratch connection that logs its statements');
          const before = log.length;
          const incremental = await real.introspect(c, options);
          const wasFull = log.slice(before).some((s) => s.startsWith('SELECT DATABASE() AS db'));
          reads.push(wasFull ? 'full' : 'partial');
          const full = await real.introspect(c, { ...options, memo: undefined });
          assert.deepEqual(
            incremental,
            full,
            `after migration ${reads.length} (${files[reads.length - 1]?.stem})`,
          );
          assert.equal(fingerprint(incremental), fingerprint(full));
          return incremental;
        },
      };
      const wrapped = Object.assign(Object.create(Object.getPrototypeOf(conn)), conn, { dialect: checking });
      try {
        const result = await expectedSchemas({
          conn: wrapped,
          files,
          historyTable: 'dbdoctor_migrations',
          exclude: [],
          cacheDir: false,
          statementLockTimeoutMs: 10_000,
        });
        assert.equal(result.failure ?? null, null, `the replay failed: ${JSON.stringify(result.failure)}`);
        assert.equal(reads.length, files.length);
        // The first read is always full (nothing to start from).
        for (const [i, f] of files.entries()) {
          const want = i === 0 ? 'full' : expectOf.get(path.basename(f.file));
          if (want) assert.equal(reads[i], want, `read after ${f.stem}`);
        }
        const partial = reads.filter((r) => r === 'partial').length;
        console.log(`# ${h.name}: ${files.length} migrations, ${partial} partial reads`);
      } finally {
        await conn.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
