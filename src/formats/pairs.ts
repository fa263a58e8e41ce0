import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { entriesOf, hidden, readSql, type Uncovered, uncovered } from './format.js';

/** A migration kept as `<version>_<name>.up.sql` and, optionally, `<version>_<name>.down.sql`. */
export interface Pair {
  version: string;
  name: string;
  up: { file: string; bytes: Buffer; text: string } | null;
  down: { file: string; bytes: Buffer; text: string } | null;
}

/**
 * Reads the up/down pairs of a folder (golang-migrate, sqlx reversible). `single` also takes
 * `<version>_<name>.sql` with no direction (sqlx's simple migrations). Other entries are
 * returned as uncovered with `why`.
 */
export function readPairs(
  dir: string,
  tool: string,
  opts: { single: boolean; why: string },
): { pairs: Pair[]; singles: Pair[]; stray: Uncovered[] } {
  const pairs = new Map<string, Pair>();
  const singles: Pair[] = [];
  const stray: Uncovered[] = [];
  for (const entry of entriesOf(dir)) {
    if (hidden(entry)) continue;
    const m = /^(\d+)_(.*)\.(up|down)\.sql$/.exec(entry);
    const s = opts.single ? /^(\d+)_(.+)\.sql$/.exec(entry) : null;
    if (!m && !s) {
      stray.push(uncovered(dir, entry, opts.why));
      continue;
    }
    const full = path.join(dir, entry);
    const read = { file: full, ...readSql(full, entry) };
    if (!m) {
      singles.push({ version: s![1]!, name: s![2]!, up: read, down: null });
      continue;
    }
    const [, version, name, direction] = m as unknown as [string, string, string, 'up' | 'down'];
    const key = `${version}\0${name}`;
    const pair = pairs.get(key) ?? { version, name, up: null, down: null };
    pair[direction] = read;
    pairs.set(key, pair);
  }
  for (const p of pairs.values()) {
    if (p.up) continue;
    throw new DbDoctorError(
      'NO_UP_SECTION',
      `${path.basename(p.down!.file)} has no matching ${p.version}_${p.name}.up.sql.`,
      {
        unchanged: 'Nothing was done.',
        hint: `Add the ${tool} up file, or remove the down file.`,
        details: { file: p.down!.file },
      },
    );
  }
  return { pairs: [...pairs.values()], singles, stray };
}
