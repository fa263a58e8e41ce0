import type { DoctorCheck } from '../../doctor/check.js';
import type { Finding } from '../../doctor/findings.js';
import { quoteIdent } from './quote.js';

const INVALID_INDEXES_SQL = `
SELECT i.relname AS index_name, c.relname AS table_name
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT x.indisvalid
ORDER BY i.relname`;

/**
 * PostgreSQL checks: invalid indexes, the ones a failed or interrupted
 * `CREATE INDEX CONCURRENTLY` leaves behind. They slow every write and serve no reads.
 */
export const postgresHealthChecks: readonly DoctorCheck[] = [
  {
    code: 'INVALID_INDEX',
    async run({ conn, schema: chosen }) {
      const schema = chosen ?? 'public';
      const rows = await conn.query<{ index_name: string; table_name: string }>(INVALID_INDEXES_SQL, [
        schema,
      ]);
      return rows.map(
        (r): Finding => ({
          code: 'INVALID_INDEX',
          severity: 'error',
          message: `Index ${r.index_name} on ${r.table_name} is INVALID (left by a failed CREATE INDEX CONCURRENTLY): it slows writes and is never used for reads.`,
          fix: `REINDEX INDEX CONCURRENTLY ${quoteIdent(schema)}.${quoteIdent(r.index_name)}; (or DROP INDEX CONCURRENTLY and re-run the migration that creates it)`,
        }),
      );
    },
  },
];
