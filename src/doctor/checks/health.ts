import type { Connection } from '../../dialects/dialect.js';
import type { Finding } from '../findings.js';

/** The dialect's own health checks (SQLite integrity, foreign keys, journal mode; PostgreSQL invalid indexes). */
export async function healthFindings(conn: Connection, schema: string | undefined): Promise<Finding[]> {
  const issues = await conn.dialect.health.run(conn, { schema });
  return issues.map((i) => ({ code: i.code, severity: i.severity, message: i.message, fix: i.fix }));
}
