/** How serious a finding is. `error` findings make `doctor` exit 1. */
export type Severity = 'error' | 'warning' | 'info';

/** One thing the doctor found: the `doctor --json` contract's `findings` entries. */
export interface Finding {
  /** Stable code scripts can branch on, e.g. `SCHEMA_DRIFT`, `REVISION_MISMATCH`. */
  code: string;
  severity: Severity;
  /** What is wrong, in plain words. */
  message: string;
  /** The exact command (or statement) that fixes it, when there is one. */
  fix?: string;
  /** The migration id it concerns, when it concerns one. */
  id?: string;
  /** The table it concerns, when it concerns one. */
  table?: string;
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then information; stable within a severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort((a, b) => ORDER[a[0].severity] - ORDER[b[0].severity] || a[1] - b[1])
    .map(([f]) => f);
}
