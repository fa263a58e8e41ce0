import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitMysqlStatements as split } from '../../src/dialects/mysql/split.js';
import { parseMysqlUrl } from '../../src/dialects/mysql/url.js';

describe('MySQL statement splitting', () => {
  it('# and "-- " comments; "--1" is arithmetic', () => {
    assert.deepEqual(split('select 1; # a; comment\nselect 2 -- b;\n; select 3--1;'), [
      'select 1',
      '# a; comment\nselect 2 -- b;',
      'select 3--1',
    ]);
  });

  it('backslash escapes and doubled quotes in strings; backtick names', () => {
    assert.deepEqual(split(`select 'a\\';b', "c\\";d", 'e'';f'; select \`g;\`\`h\``), [
      `select 'a\\';b', "c\\";d", 'e'';f'`,
      'select `g;``h`',
    ]);
  });

  it('DELIMITER lines written for the mysql client', () => {
    const script =
      'DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\ndelimiter //\nSELECT 3//\nDELIMITER ;\nSELECT 4;';
    assert.deepEqual(split(script), [
      'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END',
      'SELECT 3',
      'SELECT 4',
    ]);
  });

  it('compound bodies of triggers, procedures and anonymous blocks stay whole without DELIMITER', () => {
    assert.deepEqual(
      split(
        'CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN IF NEW.x > 0 THEN SET NEW.y = IF(NEW.x > 1, 2, 3); END IF; END; SELECT 1',
      ),
      [
        'CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN IF NEW.x > 0 THEN SET NEW.y = IF(NEW.x > 1, 2, 3); END IF; END',
        'SELECT 1',
      ],
    );
    const proc =
      "CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN l: LOOP LEAVE l; END LOOP; REPEAT SET @a = REPEAT('x', 2); UNTIL 1 END REPEAT; WHILE 0 DO SELECT 1; END WHILE; CASE WHEN 1 THEN SELECT 1; END CASE; SELECT CASE WHEN 1 THEN 2 END; DROP TABLE IF EXISTS z; END";
    assert.deepEqual(split(`${proc}; select 9`), [proc, 'select 9']);
    assert.deepEqual(split('BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; BEGIN; COMMIT;'), [
      'BEGIN NOT ATOMIC SELECT 1; SELECT 2; END',
      'BEGIN',
      'COMMIT',
    ]);
    assert.deepEqual(split('CREATE FUNCTION f() RETURNS INT RETURN 1; SELECT f()'), [
      'CREATE FUNCTION f() RETURNS INT RETURN 1',
      'SELECT f()',
    ]);
  });

  it('executable comments are statements; plain comments alone are not', () => {
    assert.deepEqual(split('/*!40101 SET NAMES utf8mb4 */; /* nothing */ ; -- x\n'), [
      '/*!40101 SET NAMES utf8mb4 */',
    ]);
  });

  it('never throws on unterminated text', () => {
    assert.deepEqual(split("select 'abc; select 2"), ["select 'abc; select 2"]);
    assert.deepEqual(split('select 1 /* open'), ['select 1 /* open']);
  });
});

describe('MySQL statement splitting: names that look like block keywords, routine starts, sql_mode', () => {
  it('a word after `.` or `@`, before `.`, or backquoted is a name, never BEGIN/END', () => {
    const table = 'CREATE TABLE spans (id INT PRIMARY KEY, start INT, `end` INT)';
    const trigger =
      'CREATE TRIGGER spans_default BEFORE INSERT ON spans FOR EACH ROW BEGIN IF NEW.end IS NULL THEN SET NEW.end = NEW.start + 1; END IF; END';
    assert.deepEqual(split(`${table}; ${trigger};`), [table, trigger]);
    const proc =
      'CREATE PROCEDURE p() BEGIN SET @end = 1; SELECT t.begin, `end`, end.x FROM t AS t, u AS end; UPDATE t SET t . end = NEW.case; END';
    assert.deepEqual(split(`${proc}; SELECT 2`), [proc, 'SELECT 2']);
  });

  it('begin and end as column names inside a body (in parentheses, after a comma or SELECT) are names', () => {
    const proc =
      'CREATE PROCEDURE p(IN begin INT, OUT end INT) BEGIN INSERT INTO spans (id, start, end) VALUES (1, 2, 3); SELECT end, begin FROM spans WHERE begin > 0 ORDER BY end; FOR i IN 1..3 DO SELECT i; END FOR; END';
    assert.deepEqual(split(`${proc}; SELECT 2`), [proc, 'SELECT 2']);
  });

  it('only PROCEDURE/FUNCTION/TRIGGER/EVENT right after the CREATE prefix starts a stored program', () => {
    assert.deepEqual(
      split('CREATE TABLE event (id INT PRIMARY KEY, begin DATETIME); INSERT INTO event VALUES (1, NOW());'),
      ['CREATE TABLE event (id INT PRIMARY KEY, begin DATETIME)', 'INSERT INTO event VALUES (1, NOW())'],
    );
    assert.deepEqual(split('CREATE VIEW trigger AS SELECT 1 AS begin; SELECT 2;'), [
      'CREATE VIEW trigger AS SELECT 1 AS begin',
      'SELECT 2',
    ]);
    for (const prefix of [
      'CREATE DEFINER = CURRENT_USER() PROCEDURE',
      'CREATE DEFINER=CURRENT_USER PROCEDURE',
      "CREATE OR REPLACE DEFINER = 'app'@'%' SQL SECURITY INVOKER PROCEDURE",
      'CREATE DEFINER=`root`@`localhost` PROCEDURE',
      'CREATE DEFINER=root@127.0.0.1 PROCEDURE',
      'CREATE ALGORITHM = MERGE DEFINER = app@localhost PROCEDURE',
    ]) {
      const s = `${prefix} p() BEGIN INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END`;
      assert.deepEqual(split(`${s}; SELECT 3`), [s, 'SELECT 3'], prefix);
    }
  });

  it('SET sql_mode with NO_BACKSLASH_ESCAPES makes a backslash plain from then on; ANSI_QUOTES makes "…" a name', () => {
    assert.deepEqual(
      split(
        `SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'; CREATE TABLE "q" (a VARCHAR(10)); INSERT INTO q VALUES ('c:\\'); SET NAMES latin1;`,
      ),
      [
        "SET sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES'",
        'CREATE TABLE "q" (a VARCHAR(10))',
        "INSERT INTO q VALUES ('c:\\')",
        'SET NAMES latin1',
      ],
    );
    // Other spellings; a sql_mode without it turns escapes back on; SET GLOBAL changes nothing here.
    for (const set of [
      "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'",
      "SET @@sql_mode = 'NO_BACKSLASH_ESCAPES'",
      "SET @@SESSION.sql_mode='TRADITIONAL,NO_BACKSLASH_ESCAPES'",
      "SET NAMES utf8mb4, sql_mode := 'NO_BACKSLASH_ESCAPES'",
      "/*!40101 SET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES') */",
    ]) {
      assert.deepEqual(
        split(`${set}; SELECT 'a\\'; SELECT "b\\"; SET sql_mode = ''; SELECT 'c\\';d'`),
        [set, "SELECT 'a\\'", 'SELECT "b\\"', "SET sql_mode = ''", "SELECT 'c\\';d'"],
        set,
      );
    }
    assert.deepEqual(split("SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\';b'"), [
      "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'",
      "SELECT 'a\\';b'",
    ]);
    // mysqldump's save and restore of the mode; REPLACE(@@sql_mode, …) takes it out.
    assert.deepEqual(
      split(
        "SET sql_mode = 'NO_BACKSLASH_ESCAPES'; /*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='' */; SELECT 'a\\';b'; /*!40101 SET SQL_MODE=@OLD_SQL_MODE */; SELECT 'c\\'; SET sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', ''); SELECT 'd\\';e'",
      ),
      [
        "SET sql_mode = 'NO_BACKSLASH_ESCAPES'",
        "/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='' */",
        "SELECT 'a\\';b'",
        '/*!40101 SET SQL_MODE=@OLD_SQL_MODE */',
        "SELECT 'c\\'",
        "SET sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
        "SELECT 'd\\';e'",
      ],
    );
    // A double-quoted `;` never splits, in either mode; under ANSI_QUOTES a backslash there is plain.
    assert.deepEqual(split('SELECT "a;b"; SET sql_mode = \'ANSI\'; SELECT "c\\"; SELECT "d;e"'), [
      'SELECT "a;b"',
      "SET sql_mode = 'ANSI'",
      'SELECT "c\\"',
      'SELECT "d;e"',
    ]);
  });
});

describe('MySQL URLs', () => {
  it('parses mysql:// and mariadb://, hiding the password', () => {
    const t = parseMysqlUrl('mysql://app:p%40ss%2Fw0rd@db.example:3307/shop?ssl=true');
    assert.equal(t.host, 'db.example');
    assert.equal(t.port, 3307);
    assert.equal(t.user, 'app');
    assert.equal(t.password, 'p@ss/w0rd');
    assert.equal(t.database, 'shop');
    assert.equal(t.ssl, 'verify');
    assert.equal(t.display, 'mysql://app:***@db.example:3307/shop');
    assert.ok(t.secrets.includes('p@ss/w0rd'));
    assert.equal(parseMysqlUrl('mariadb://root@127.0.0.1/test').port, 3306);
  });

  it('refuses what it cannot use, never repeating the URL', () => {
    for (const url of [
      'mysql://u:sec#ret@h/db',
      'mysql://u:secret@h',
      'mysql://u:secret@h/db?foo=1',
      'mysql://u:sec%zzret@h/db',
      'mysql://u:secret@h/db?ssl=maybe',
    ]) {
      assert.throws(
        () => parseMysqlUrl(url),
        (e: Error & { code?: string }) => e.code === 'BAD_URL' && !/sec#?%?z?z?ret/.test(e.message),
        url,
      );
    }
  });
});
