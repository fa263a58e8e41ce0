import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitMysqlDump } from '../helpers/dump-oracle.js';

describe('the MySQL dump oracle reads a dump as the client would', () => {
  it('DELIMITER lines change the terminator; quotes and the old terminator inside bodies do not split', () => {
    const script = [
      '/*!40101 SET NAMES utf8mb4 */;',
      "CREATE TABLE `a;b` (`c` varchar(5) DEFAULT 'x;y');",
      'DELIMITER ;;',
      "/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON `a;b` FOR EACH ROW BEGIN SET NEW.c = 'q;'; SET @x = 1; END */;;",
      'DELIMITER ;',
      "SELECT 'it''s; fine', \"dq;\", 'back\\'slash;';",
    ].join('\n');
    assert.deepEqual(splitMysqlDump(script), [
      '/*!40101 SET NAMES utf8mb4 */',
      "CREATE TABLE `a;b` (`c` varchar(5) DEFAULT 'x;y')",
      "/*!50003 CREATE*/ /*!50003 TRIGGER t BEFORE INSERT ON `a;b` FOR EACH ROW BEGIN SET NEW.c = 'q;'; SET @x = 1; END */",
      "SELECT 'it''s; fine', \"dq;\", 'back\\'slash;'",
    ]);
  });
});
