import type { CheckContext } from '../check.js';
import type { Finding } from '../findings.js';

/** The dialect's own health checks (SQLite integrity, foreign keys, journal mode; PostgreSQL invalid indexes). */
export async function healthFindings(context: CheckContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const check of context.conn.dialect.healthChecks) findings.push(...(await check.run(context)));
  return findings;
}
