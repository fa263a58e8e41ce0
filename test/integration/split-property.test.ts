/**
 * Property test: random statement lists, built from the pieces that make splitting hard
 * (strings with quotes and semicolons, dollar quotes, nested comments, identifiers holding
 * semicolons, trigger bodies, BEGIN ATOMIC bodies), joined with `;`, whitespace and
 * comment-only pieces, split back into exactly the list — per dialect. Round trip: every
 * statement is then run alone by the real database (one statement per prepare, so a piece
 * that still held two statements would fail), in a transaction that is rolled back. CI runs a
 * fixed seed; set DBDOCTOR_FUZZ_RUNS and DBDOCTOR_FUZZ_SEED for more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import '../../src/dialects/builtin.js';
import { splitStatements } from '../../src/migrations/split.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const SEED = Number(process.env.DBDOCTOR_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 60);

const text = (chars: string, maxLength = 8) => fc.string({ unit: fc.constantFrom(...chars), maxLength });
const TRICKY = 'ab ;\'"-/*$\\\n[]`';

/** A standard string: quotes doubled, backslashes literal (SQLite; PostgreSQL with standard_conforming_strings). */
const standardString = text(TRICKY).map((s) => `'${s.replaceAll("'", "''")}'`);
/** A quoted identifier, never empty (PostgreSQL rejects ""). */
const quotedName = text(TRICKY.replace('\n', ''), 6).map((s) => `"x${s.replaceAll('"', '""')}"`);
const lineComment = text(TRICKY.replace('\n', '')).map((s) => `-- ${s}\n`);

/** PostgreSQL: E'' strings with backslash escapes. */
const escapeString = text(TRICKY).map((s) => `E'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
/** PostgreSQL: dollar quotes with and without tags, holding anything but their own closing tag. */
const dollarString = fc
  .tuple(fc.constantFrom('$$', '$q$', '$body_1$'), text(`${TRICKY}q`, 10))
  .filter(([tag, s]) => (s + tag).indexOf(tag) === s.length)
  .map(([tag, s]) => `${tag}${s}${tag}`);
/** PostgreSQL: block comments that nest. */
const commentBody = text(TRICKY.replace('*', '').replace('/', ''));
const nestedComment = fc
  .tuple(commentBody, commentBody, commentBody, fc.boolean())
  .map(([a, b, c, nest]) => (nest ? `/*${a}/*${b}*/${c}*/` : `/*${a}${b}*/`));
/** SQLite: block comments do not nest, so an inner "/*" is just text. */
const flatComment = fc.tuple(commentBody, commentBody).map(([a, b]) => `/*${a}/*${b}*/`);
/** SQLite: [bracket] and `backtick` names. */
const sqliteName = fc.oneof(
  quotedName,
  text(TRICKY.replace(']', '').replace('\n', ''), 6).map((s) => `[x${s}]`),
  text(TRICKY.replace('\n', ''), 6).map((s) => `\`x${s.replaceAll('`', '``')}\``),
);

interface Pieces {
  value: fc.Arbitrary<string>;
  name: fc.Arbitrary<string>;
  comment: fc.Arbitrary<string>;
  bodies: (value: fc.Arbitrary<string>) => fc.Arbitrary<string>[];
}

/** MySQL's splitting has its own property test (mysql-split-property.test.ts). */
const PIECES: Record<'sqlite' | 'postgres', Pieces> = {
  sqlite: {
    value: standardString,
    name: sqliteName,
    comment: fc.oneof(flatComment, lineComment),
    bodies: (value) => [
      fc
        .tuple(value, value, fc.nat(1000))
        .map(
          ([a, b, n]) =>
            `CREATE TRIGGER trg_${n} AFTER INSERT ON base BEGIN\n  INSERT INTO log VALUES (CASE WHEN new.x > 0 THEN ${a} ELSE 'n' END);\n  UPDATE log SET v = ${b} WHERE v = 'end;';\nEND`,
        ),
    ],
  },
  postgres: {
    value: fc.oneof(standardString, escapeString, dollarString),
    name: quotedName,
    comment: fc.oneof(nestedComment, lineComment),
    bodies: (value) => [
      fc
        .tuple(value, value, fc.nat(1000))
        .map(
          ([a, b, n]) =>
            `CREATE FUNCTION f_${n}(x int) RETURNS text LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN ${a} ELSE 'n' END;\n  SELECT (CASE WHEN x = 0 THEN ${b} END);\nEND`,
        ),
      fc
        .tuple(value, value, fc.nat(1000))
        .map(
          ([a, b, n]) =>
            `CREATE OR REPLACE PROCEDURE p_${n}() LANGUAGE sql BEGIN ATOMIC INSERT INTO log VALUES (${a}); INSERT INTO log VALUES (${b}); END`,
        ),
      fc
        .tuple(value, value, fc.nat(1000))
        .map(
          ([a, b, n]) =>
            `CREATE RULE r_${n} AS ON INSERT TO base DO ALSO (INSERT INTO log VALUES (${a}); INSERT INTO log VALUES (${b}))`,
        ),
    ],
  },
};

/** One statement: a SELECT of tricky values, names and comments, or a body with `;` inside. */
function statement(p: Pieces): fc.Arbitrary<string> {
  const item = fc
    .tuple(p.value, p.name, fc.option(p.comment, { nil: undefined }))
    .map(([v, n, c]) => `${v} AS ${n}${c ? ` ${c}` : ''}`);
  const select = fc
    .array(item, { minLength: 1, maxLength: 3 })
    .map((items) => `SELECT ${items.join(', ')}, 1 AS one`);
  return fc.oneof(
    { weight: 3, arbitrary: select },
    ...p.bodies(p.value).map((arbitrary) => ({ weight: 1, arbitrary })),
  );
}

/** What goes between two statements: `;`, blanks, and perhaps a piece holding only comments. */
function separator(p: Pieces): fc.Arbitrary<string> {
  const blank = fc.constantFrom(' ', '\n', '\r\n', '\t', '');
  return fc
    .tuple(blank, fc.option(p.comment, { nil: undefined }), blank)
    .map(([a, c, b]) => (c ? `;${a}${c}${b};${b}` : `;${a}${b}`));
}

async function runAlone(
  dialect: 'sqlite' | 'postgres',
  db: TestDatabase,
  statements: string[],
): Promise<void> {
  if (dialect === 'sqlite') {
    const conn = new Database(':memory:');
    try {
      conn.exec('CREATE TABLE base (x INTEGER); CREATE TABLE log (v TEXT);');
      for (const s of statements) {
        const stmt = conn.prepare(s); // throws on a second statement in the text
        if (stmt.reader) stmt.all();
        else stmt.run();
      }
    } finally {
      conn.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    // A named statement goes through Parse (extended protocol), which refuses two commands in one text.
    for (const [i, s] of statements.entries()) await client.query({ name: `s${i}`, text: s });
  } finally {
    await client.query('ROLLBACK').catch(() => {});
    await client.end();
  }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`statement splitting on ${dialect} (fast-check, seed ${SEED})`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase(dialect);
      if (dialect === 'postgres') {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        await c.query('CREATE TABLE base (x int); CREATE TABLE log (v text)');
        await c.end();
      }
    });
    after(() => db.drop());

    it('the round trip can tell two statements from one', async () => {
      await assert.rejects(runAlone(dialect, db, ['SELECT 1; SELECT 2']));
    });

    it('joined random statements split back into the same list, and each runs alone', async () => {
      const p = PIECES[dialect];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(statement(p), separator(p)), { minLength: 1, maxLength: 6 }),
          fc.boolean(),
          async (list, finalSemicolon) => {
            const statements = list.map(([s]) => s);
            let script = '';
            for (const [i, [s, sep]] of list.entries()) script += i < list.length - 1 ? s + sep : s;
            if (finalSemicolon) script += ';\n';
            assert.deepEqual(splitStatements(script, dialect), statements);
            await runAlone(dialect, db, statements);
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 },
      );
    });
  });
}
