/**
 * The MySQL replay's fallback confinement (a doctor whose account cannot create the throwaway
 * account): which statements reach beyond the scratch database, read from their tokens; the
 * DEFINER clause cut for a replay under the throwaway account; passwords masked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutPasswords } from '../../src/dialects/mysql/history.js';
import {
  type DatabaseNames,
  retarget,
  serverWideReason,
  withoutDefiner,
} from '../../src/dialects/mysql/server-statements.js';

const SCRATCH = 'dbdoctor_scratch_1_00000000_00000000';

function names(caseSensitive: boolean): DatabaseNames {
  const fold = (n: string) => (caseSensitive ? n : n.toLowerCase());
  return {
    scratch: SCRATCH,
    databases: new Set(['live', 'Other', 'information_schema', 'mysql', SCRATCH].map(fold)),
    fold,
  };
}

describe('MySQL: statements that reach beyond the scratch database (token check)', () => {
  const n = names(false);
  const skipped = [
    'DROP TABLE IF EXISTS `live`.`audit`',
    // Under NO_BACKSLASH_ESCAPES the string is '\' and other.users is code (red team).
    "DELETE x FROM (SELECT '\\' AS c) d, other.users AS x -- ';",
    // ANSI_QUOTES: "other" is a name.
    'DELETE FROM "other".users',
    // Run-time SQL in a handler's action (red team).
    "CREATE PROCEDURE p() BEGIN DECLARE EXIT HANDLER FOR SQLWARNING EXECUTE IMMEDIATE CONCAT('DELETE FROM ot', 'her.users'); SIGNAL SQLSTATE '01000'; END",
    'CREATE TABLE `live`.audit (id INT PRIMARY KEY)',
    'INSERT INTO live.audit VALUES (1)',
    'insert into LIVE.audit values (1)',
    'UPDATE t JOIN other.u ON t.id = other.u.id SET t.x = 1',
    'DELETE FROM mysql.user',
    '/*!40101 SET GLOBAL net_read_timeout = 33 */',
    "SET @n = 'x', GLOBAL net_read_timeout = 34",
    'SET @@global.net_read_timeout = 35',
    'SET PERSIST max_connections = 10',
    "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h', PASSWORD 'p')",
    'DROP SERVER s',
    "CREATE USER 'u'@'%' IDENTIFIED BY 'pw'",
    "CREATE OR REPLACE USER 'u'@'%'",
    'GRANT SELECT ON *.* TO u',
    "SET PASSWORD FOR u = PASSWORD('x')",
    "INSTALL SONAME 'ha_connect'",
    "CREATE FUNCTION f RETURNS STRING SONAME 'udf.so'",
    "SELECT * FROM t INTO OUTFILE '/tmp/x'",
    "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
    "SELECT LOAD_FILE('/etc/passwd')",
    'USE live',
    'CREATE DATABASE x',
    'FLUSH PRIVILEGES',
    'PREPARE s FROM @sql',
    'EXECUTE s',
    'CREATE PROCEDURE p() BEGIN SET GLOBAL x = 1; END',
    'CREATE PROCEDURE p() BEGIN DROP USER u; END',
    'CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO DELETE FROM `live`.t',
    '/*M!100100 SET GLOBAL x = 1 */',
  ];
  for (const sql of skipped) it(`skips: ${sql}`, () => assert.notEqual(serverWideReason(sql, n), null));

  const kept = [
    'CREATE TABLE t (id INT PRIMARY KEY)',
    `CREATE TABLE \`${SCRATCH}\`.t (id INT)`,
    'SELECT t.id, u.x FROM t JOIN u ON t.id = u.id',
    "INSERT INTO t VALUES ('live.audit', 'SET GLOBAL x = 1')",
    'ALTER TABLE t DROP server',
    'ALTER TABLE t ADD COLUMN `global` INT',
    'SELECT 1.5, 10.25',
    'SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()',
    'SET SESSION sql_mode = 1, @a = 2',
    '/*!40101 SET NAMES utf8mb4 */',
    "CREATE DEFINER='root'@'10.0.0.1' TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1",
    '-- SET GLOBAL x = 1\nSELECT 1',
    '/* DROP TABLE live.audit */ SELECT 1',
    `USE \`${SCRATCH}\``,
    'START TRANSACTION',
  ];
  for (const sql of kept) it(`runs: ${sql}`, () => assert.equal(serverWideReason(sql, n), null));

  it('compares database qualifiers as lower_case_table_names says', () => {
    assert.equal(serverWideReason('INSERT INTO OTHER.t VALUES (1)', names(true)), null);
    assert.notEqual(serverWideReason('INSERT INTO Other.t VALUES (1)', names(true)), null);
    assert.notEqual(serverWideReason('INSERT INTO OTHER.t VALUES (1)', names(false)), null);
  });
});

describe('MySQL: the DEFINER clause cut for the throwaway account', () => {
  const cases: [string, string | null][] = [
    [
      'CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1',
      'CREATE  TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1',
    ],
    ["CREATE DEFINER = 'app'@'%' PROCEDURE p() SELECT 1", 'CREATE  PROCEDURE p() SELECT 1'],
    ['CREATE DEFINER = CURRENT_USER() PROCEDURE p() SELECT 1', 'CREATE  PROCEDURE p() SELECT 1'],
    ['CREATE DEFINER=app@10.0.0.1 PROCEDURE p() SELECT 1', 'CREATE  PROCEDURE p() SELECT 1'],
    [
      '/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1 */',
      '/*!50003 CREATE*/ /*!50017 */ /*!50003 TRIGGER t BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1 */',
    ],
    ['CREATE SQL SECURITY DEFINER VIEW v AS SELECT 1', null],
    ['CREATE TABLE t (id INT)', null],
  ];
  for (const [sql, want] of cases) it(sql, () => assert.equal(withoutDefiner(sql), want));
});

describe('MySQL: passwords masked in statements', () => {
  const cases: [string, string][] = [
    [
      "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', USER 'u', PASSWORD 'FdwSecretPw1', PORT 3306)",
      "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', USER 'u', PASSWORD '***', PORT 3306)",
    ],
    ["ALTER SERVER s OPTIONS (PASSWORD 'x')", "ALTER SERVER s OPTIONS (PASSWORD '***')"],
    ["CREATE USER 'u'@'%' IDENTIFIED BY 'AppPassw0rd'", "CREATE USER 'u'@'%' IDENTIFIED BY '***'"],
    [
      "CREATE USER u IDENTIFIED VIA mysql_native_password USING '*ABC' OR unix_socket",
      "CREATE USER u IDENTIFIED VIA mysql_native_password USING '***' OR unix_socket",
    ],
    [
      "CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='replpw'",
      "CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD='***'",
    ],
  ];
  for (const [sql, want] of cases) it(sql, () => assert.equal(withoutPasswords(sql), want));
});

describe('MySQL: names qualified by the live database mean the scratch database in the replay', () => {
  const n = { scratch: SCRATCH, fold: (x: string) => x.toLowerCase() };
  const cases: [string, string][] = [
    ['DROP TABLE IF EXISTS `app`.`audit`', `DROP TABLE IF EXISTS \`${SCRATCH}\`.\`audit\``],
    ['INSERT INTO APP.audit VALUES (1)', `INSERT INTO \`${SCRATCH}\`.audit VALUES (1)`],
    ['USE `app`', `USE \`${SCRATCH}\``],
    ["INSERT INTO t VALUES ('app.audit')", "INSERT INTO t VALUES ('app.audit')"],
    ['SELECT t.app FROM t', 'SELECT t.app FROM t'],
    [
      '/*!40000 ALTER TABLE `app`.`t` DISABLE KEYS */',
      `/*!40000 ALTER TABLE \`${SCRATCH}\`.\`t\` DISABLE KEYS */`,
    ],
    ['SELECT * FROM other.t', 'SELECT * FROM other.t'],
  ];
  for (const [sql, want] of cases) it(sql, () => assert.equal(retarget(sql, 'app', n), want));
});
