import type { MigrationState } from '../../migrations/plan.js';
import type { Finding } from '../findings.js';

/**
 * Findings from comparing the files with the history: pending migrations, applied ones whose
 * file is gone or changed, partially applied and out-of-order ones. Pure.
 */
export function historyFindings(state: MigrationState): Finding[] {
  const findings: Finding[] = state.problems.map((p) => ({
    code: p.code,
    severity: 'error',
    message: p.message,
    fix: p.fix,
    id: p.id,
  }));
  if (state.pending.length > 0) {
    const ids = state.pending.map((f) => f.id);
    const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
    findings.push({
      code: 'PENDING_MIGRATIONS',
      severity: 'warning',
      message: `${ids.length} migration(s) not applied yet: ${shown}.`,
      fix: 'dbdoctor apply',
    });
  }
  return findings;
}
