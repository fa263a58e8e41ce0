/**
 * Property test for MySQL statement splitting: random statement lists built from the pieces that
 * make splitting hard (strings with backslash escapes and doubled quotes, backtick names, `#`,
 * `-- ` and block comments, compound bodies with `;` inside, columns named begin and end, DEFINER
 * prefixes, DELIMITER blocks written for the mysql client) split back into exactly the list; then each statement runs alone on MariaDB
 * with multipleStatements off, so a piece still holding two statements would fail. CI runs a
 * fixed seed; set DBDOCTOR_FUZZ_RUNS and DBDOCTOR_FUZZ_SEED for more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type * as mysql from 'mysql2/promise';
import { splitMysqlStatements } from '../../src/dialects/mysql/split.js';
import { createTestDatabase, mysqlClient, type TestDatabase } from '../helpers/databases.js';

const SEED = Number(process.env.DBDOCTOR_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.DBDOCTOR_FUZZ_RUNS ?? 60);

const text = (chars: string, maxLength = 8) => fc.string({ unit: fc.constantFrom(...chars), maxLength });
const TRICKY = 'ab ;\'"-#/*$\\\n`';

/** '…' with quotes escaped either way and backslashes escaped. */
const singleString = text(TRICKY).map((s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`);
const backslashString = text(TRICKY).map((s) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
const doubleString = text(TRICKY).map((s) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
const value = fc.oneof(singleString, backslashString, doubleString);
const name = text(TRICKY.replace('\n', ''), 6).map((s) => `\`x${s.replaceAll('`', '``')}\``);
const commentBody = text(TRICKY.replace('*', '').replace('/', '').replace('\n', ''));
const comment = fc.oneof(
  commentBody.map((s) => `# ${s}\n`),
  commentBody.map((s) => `-- ${s}\n`),
  fc.tuple(commentBody, commentBody).map(([a, b]) => `/*${a}/*${b}*/`),
);

const select = fc
  .array(
    fc
      .tuple(value, name, fc.option(comment, { nil: undefined }))
      .map(([v, n, c]) => `${v} AS ${n}${c ? ` ${c}` : ''}`),
    { minLength: 1, maxLength: 3 },
  )
  .map((items) => `SELECT ${items.join(', ')}, 1 AS one`);

/** Compound bodies whose `;` must not end the statement. */
const body = fc
  .tuple(value, value, fc.nat(1_000_000))
  .map(
    ([a, b, n]) =>
      `CREATE PROCEDURE p_${n}()\nBEGIN\n  DECLARE v TEXT DEFAULT ${a};\n  IF v = ${b} THEN SET v = IF(v = 'x', 'y;', 'z'); END IF;\n  lbl: LOOP LEAVE lbl; END LOOP;\n  SELECT CASE WHEN v IS NULL THEN 'end;' END;\nEND`,
  );
const trigger = fc
  .tuple(value, fc.nat(1_000_000))
  .map(
    ([a, n]) =>
      `CREATE TRIGGER trg_${n} BEFORE INSERT ON base FOR EACH ROW BEGIN\n  SET NEW.v = ${a}; SET NEW.v = CONCAT(NEW.v, ';');\nEND`,
  );

/** Column names that are block keywords elsewhere (begin, end) and a DEFINER prefix with `(`. */
const keywordNames = fc
  .tuple(value, fc.nat(1_000_000), fc.constantFrom('CURRENT_USER()', 'CURRENT_USER', "'root'@'localhost'"))
  .map(
    ([a, n, definer]) =>
      `CREATE DEFINER = ${definer} TRIGGER trg_kw_${n} BEFORE INSERT ON base FOR EACH ROW BEGIN\n  IF NEW.end IS NULL THEN SET NEW.end = NEW.begin + 1; END IF;\n  SET NEW.v = ${a};\nEND`,
  );
const keywordTable = fc
  .nat(1_000_000)
  .map((n) => `CREATE TABLE event_${n} (id INT PRIMARY KEY, begin DATETIME, \`end\` INT)`);

interface Piece {
  /** The statement as it must come back. */
  statement: string;
  /** How it is written in the script (a DELIMITER block, or as is). */
  written: string;
  delimited: boolean;
}

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 3, arbitrary: select.map((s) => ({ statement: s, written: s, delimited: false })) },
  { weight: 1, arbitrary: body.map((s) => ({ statement: s, written: s, delimited: false })) },
  { weight: 1, arbitrary: trigger.map((s) => ({ statement: s, written: s, delimited: false })) },
  { weight: 1, arbitrary: keywordNames.map((s) => ({ statement: s, written: s, delimited: false })) },
  { weight: 1, arbitrary: keywordTable.map((s) => ({ statement: s, written: s, delimited: false })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(body, fc.constantFrom('$$', '//', ';;'))
      // DELIMITER is a client command only at the start of a line.
      .map(([s, d]) => ({ statement: s, written: `\nDELIMITER ${d}\n${s}${d}`, delimited: true })),
  },
);

const blank = fc.constantFrom(' ', '\n', '\r\n', '\t', '');

async function runAlone(client: mysql.Connection, statements: string[]): Promise<void> {
  for (const s of statements) {
    // One statement per call, multipleStatements off: a text with two statements fails.
    await client.query(s).catch((e) => Promise.reject(new Error(`${e.message}\n${s}`)));
    const created = /^CREATE (?:DEFINER = \S+ )?(PROCEDURE|TRIGGER|TABLE) (\w+)/.exec(s);
    if (created) await client.query(`DROP ${created[1]} ${created[2]}`);
  }
}

describe(`statement splitting on mysql (fast-check, seed ${SEED})`, () => {
  let db: TestDatabase;
  let client: mysql.Connection;
  before(async () => {
    db = await createTestDatabase('mysql');
    client = await mysqlClient(db.url);
    await client.query('CREATE TABLE base (v TEXT, begin INT, `end` INT)');
    await client.end();
    const { default: driver } = await import('mysql2/promise');
    const u = new URL(db.url);
    client = await driver.createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username) || 'root',
      password: u.password ? decodeURIComponent(u.password) : undefined,
      database: u.pathname.slice(1),
      multipleStatements: false,
    });
  });
  after(async () => {
    await client.end();
    await db.drop();
  });

  it('the round trip can tell two statements from one', async () => {
    await assert.rejects(runAlone(client, ['SELECT 1; SELECT 2']));
  });

  it('joined random statements split back into the same list, and each runs alone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(piece, blank, fc.option(comment, { nil: undefined })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        async (list, finalSemicolon) => {
          await check(list, finalSemicolon);
        },
      ),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, verbose: 1 },
    );
    async function check(list: [Piece, string, string | undefined][], finalSemicolon: boolean) {
      let script = '';
      for (const [i, [p, gap, c]] of list.entries()) {
        const last = i === list.length - 1;
        // A comment after the custom delimiter, before the line that puts `;` back.
        if (p.delimited) script += `${p.written}${gap}${c ?? ''}\nDELIMITER ;\n`;
        // Text after the last statement, when no `;` ends it, would be part of it.
        else if (last && !finalSemicolon) script += p.written;
        else script += `${p.written};${gap}${c ?? ''}${gap}`;
        if (!p.delimited && c && !last) script += `;${gap}`;
      }
      assert.deepEqual(
        splitMysqlStatements(script),
        list.map(([p]) => p.statement),
        script,
      );
      await runAlone(
        client,
        list.map(([p]) => p.statement),
      );
    }
  });
});
