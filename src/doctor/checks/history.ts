import { DbDoctorError } from '../../errors.js';
import { compareIds } from '../../migrations/files.js';
import type { MigrationState } from '../../migrations/plan.js';
import { stampSession } from '../../migrations/stamp.js';
import type { DoctorCheck } from '../check.js';
import type { DoctorContext } from '../context.js';
import type { Finding } from '../findings.js';
import type { SchemaVerdict } from './schema.js';

/**
 * Findings from comparing the files with the history: pending migrations, applied ones whose
 * file is gone or changed, partially applied and out-of-order ones. Pure.
 */
export function historyFindings(state: MigrationState): Finding[] {
  const findings: Finding[] = state.problems.map((p) => ({
    code: p.code,
    // A runner at it right now is no fault; what it leaves is judged once it is done.
    severity: p.code === 'MIGRATION_IN_PROGRESS' ? 'warning' : 'error',
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

/** Findings that only `resolve` may settle: `--fix` stamps nothing while one remains. */
const RESOLVE_FIRST = new Set([
  'PARTIALLY_APPLIED',
  'PARTIALLY_REVERTED',
  'MIGRATION_IN_PROGRESS',
  'INVALID_INDEX',
]);

/** Findings that make the live schema's verdict no proof of what ran: `--fix` stamps nothing then. */
const NO_PROOF = new Set(['SCHEMA_NOT_CURRENT']);

/**
 * The revision `--fix` stamps: `--to` when given (it must be one the live schema matches),
 * else the verdict's (the earliest that matches). Null when nothing is to be stamped. Pure.
 */
export function stampTarget(
  to: string | undefined,
  recorded: string | null,
  verdict: Pick<SchemaVerdict, 'stampTo' | 'stampable'> | null,
): string | null {
  const stampable = verdict?.stampable ?? [];
  if (to === undefined) return verdict?.stampTo ?? null;
  if (!stampable.includes(to)) {
    throw new DbDoctorError(
      'BAD_USAGE',
      `--to ${to}: the schema does not match revision ${to}${stampable.length ? ` (it matches ${stampable.join(', ')})` : ' (it matches no revision)'}.`,
      {
        unchanged: 'Nothing was stamped.',
        hint: 'Give one of the revisions the schema matches, or leave --to out to stamp the earliest of them.',
      },
    );
  }
  return recorded === to ? null : to;
}

/** Why `--fix` stamped the earliest of several revisions the schema matches alike. Pure. */
function whyThisStamp(stampTo: string, stampable: readonly string[]): string {
  if (stampable.length < 2) return '';
  const later = stampable.filter((id) => compareIds(id, stampTo) > 0);
  if (later.length === 0) return '';
  return ` The schema matches ${stampable.join(', ')} alike, so whether ${later.join(', ')} ran cannot be seen: ${stampTo} is the latest revision it proves; \`apply\` runs the rest (or \`doctor --fix --to <id>\` if you know they ran).`;
}

/**
 * The files against the history. Its fix writes the history: it stamps the revision the live
 * schema proves (the schema check's NO_HISTORY or REVISION_MISMATCH, or `--to`), never while a
 * finding only `resolve` may settle remains.
 */
export const historyCheck: DoctorCheck<DoctorContext> = {
  code: 'HISTORY',
  async run({ state }) {
    return historyFindings(state);
  },
  async fix(context) {
    const { verdict } = await context.comparison();
    const stampTo = stampTarget(context.options.to, context.state.current, verdict);
    if (stampTo === null) return { fixed: [], refused: [] };
    const unproven = context.findings.filter((f) => NO_PROOF.has(f.code));
    if (unproven.length > 0) {
      return {
        fixed: [],
        refused: [
          {
            code: 'FIX_REFUSED',
            severity: 'warning',
            message: `--fix did not stamp ${stampTo}: ${unproven.map((f) => f.code).join(', ')}: the schema compared is not where the migrations' names land, so it proves no revision.`,
            fix: unproven[0]!.fix,
          },
        ],
      };
    }
    const blockers = context.findings.filter((f) => RESOLVE_FIRST.has(f.code));
    if (blockers.length > 0) {
      // A half-done migration or index is settled by `resolve`, which knows what it leaves:
      // a stamp over it would record as done what may be half there.
      return {
        fixed: [],
        refused: [
          {
            code: 'FIX_REFUSED',
            severity: 'warning',
            message: `--fix did not stamp ${stampTo}: ${blockers.map((b) => `${b.code}${b.id ? ` ${b.id}` : ''}`).join(', ')} must be settled first.`,
            fix: 'dbdoctor resolve <id> --applied | --rolled-back (for an INVALID index: drop it or rebuild it), then dbdoctor doctor --fix',
          },
        ],
      };
    }
    const stamped = await stampSession(context.session, stampTo);
    return {
      fixed: [
        {
          code: context.findings.some((f) => f.code === 'NO_HISTORY') ? 'NO_HISTORY' : 'REVISION_MISMATCH',
          action: `Stamped the history at ${stampTo} (was ${stamped.before ?? 'none'}): recorded ${stamped.added.join(', ') || 'nothing'}${stamped.removed.length ? `, forgot ${stamped.removed.join(', ')}` : ''}, without running anything.${whyThisStamp(stampTo, verdict?.stampable ?? [])}`,
        },
      ],
      refused: [],
    };
  },
};
