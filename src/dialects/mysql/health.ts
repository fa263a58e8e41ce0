import type { DoctorCheck } from '../../doctor/check.js';
import type { Finding } from '../../doctor/findings.js';

/** How many tables a finding names before "…". */
const QUOTED_ROWS = 5;

/**
 * MySQL checks: tables on an engine without transactions or foreign keys (MyISAM, Aria,
 * MEMORY), where a failed statement leaves half its rows written and a FOREIGN KEY clause is
 * silently ignored; and foreign key enforcement turned off for the whole server.
 */
export const mysqlHealthChecks: readonly DoctorCheck[] = [
  {
    code: 'NON_TRANSACTIONAL_TABLES',
    async run({ conn }) {
      const rows = await conn.query<{ name: string; engine: string }>(
        `SELECT TABLE_NAME AS name, ENGINE AS engine FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
            AND ENGINE IS NOT NULL AND UPPER(ENGINE) NOT IN ('INNODB', 'NDBCLUSTER', 'NDB')
          ORDER BY TABLE_NAME`,
      );
      if (rows.length === 0) return [];
      const list = rows.slice(0, QUOTED_ROWS).map((r) => `${r.name} (${r.engine})`);
      return [
        {
          code: 'NON_TRANSACTIONAL_TABLES',
          severity: 'warning',
          message: `${rows.length} table(s) use an engine without transactions or foreign keys: ${list.join(', ')}${rows.length > QUOTED_ROWS ? ', …' : ''}.`,
          fix: 'Convert them when convenient (ALTER TABLE name ENGINE=InnoDB rewrites the table and blocks writes while it runs).',
        },
      ];
    },
  },
  {
    code: 'FOREIGN_KEY_CHECKS_OFF',
    async run({ conn }) {
      const [fk] = await conn.query<{ on: number | string }>('SELECT @@GLOBAL.foreign_key_checks AS `on`');
      if (Number(fk?.on) !== 0) return [];
      const finding: Finding = {
        code: 'FOREIGN_KEY_CHECKS_OFF',
        severity: 'warning',
        message:
          'foreign_key_checks is off for the whole server: new rows are not checked against their parents.',
        fix: 'SET GLOBAL foreign_key_checks = 1 (and remove it from the server configuration).',
      };
      return [finding];
    },
  },
];
