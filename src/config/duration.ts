import { DbDoctorError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: a number of milliseconds, or a string like `500ms`, `5s`, `30m`, `2h`,
 * `30d`. Throws `BAD_DURATION` for anything else.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
    if (m) return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
  }
  throw new DbDoctorError('BAD_DURATION', `Invalid ${what}: "${value}".`, {
    unchanged: 'Nothing was done.',
    hint: 'Use a number of milliseconds or a string like 500ms, 5s, 30m, 2h, 30d.',
  });
}
