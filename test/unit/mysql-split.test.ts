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
