import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { checksumOf, compareIds } from '../migrations/files.js';
import {
  type Draft,
  entriesOf,
  finish,
  hidden,
  isFile,
  type MigrationFormat,
  readSql,
  type Uncovered,
  uncovered,
} from './format.js';

const JOURNAL = path.join('meta', '_journal.json');
const BREAKPOINT = '--> statement-breakpoint';

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
  breakpoints?: boolean;
}

/** The journal's entries, or BAD_MIGRATION naming what is wrong with it. */
function readJournal(dir: string): JournalEntry[] {
  const file = path.join(dir, JOURNAL);
  const bad = (why: string, cause?: unknown) =>
    new DbDoctorError('BAD_MIGRATION', `Drizzle journal ${file} ${why}.`, {
      unchanged: 'Nothing was done.',
      hint: 'Restore meta/_journal.json from version control, or regenerate it with `drizzle-kit generate`.',
      cause,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad('cannot be read as JSON', e);
  }
  const entries = (parsed as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) throw bad('has no "entries" list');
  for (const e of entries) {
    const x = e as Partial<JournalEntry>;
    if (typeof x.tag !== 'string' || typeof x.when !== 'number' || typeof x.idx !== 'number')
      throw bad('has an entry without a tag, idx and when');
  }
  return entries as JournalEntry[];
}

/**
 * Drizzle Kit: `drizzle/<idx>_<name>.sql` in the order of `meta/_journal.json` (a file the
 * journal does not list is never run by Drizzle, so it is reported), statements cut at
 * `--> statement-breakpoint`. Drizzle has no down migrations and runs pending migrations in
 * one transaction; dbdoctor runs each in its own. `__drizzle_migrations.hash` is the sha256
 * of the file and `created_at` the journal's `when`.
 */
export const drizzle: MigrationFormat = {
  name: 'drizzle',
  defaultDirs: ['drizzle', 'migrations'],
  detect(dir) {
    return isFile(path.join(dir, JOURNAL));
  },
  list(dir) {
    const journal = readJournal(dir);
    const listed = new Set(journal.map((e) => `${e.tag}.sql`));
    const stray: Uncovered[] = [];
    for (const entry of entriesOf(dir)) {
      if (hidden(entry) || entry === 'meta' || listed.has(entry)) continue;
      stray.push(
        uncovered(
          dir,
          entry,
          entry.endsWith('.sql')
            ? 'not listed in meta/_journal.json, so Drizzle never runs it'
            : 'not a Drizzle migration',
        ),
      );
    }
    const drafts: (Draft & { when: number; order: number })[] = [];
    for (const [order, e] of journal.entries()) {
      const file = path.join(dir, `${e.tag}.sql`);
      if (!isFile(file)) {
        throw new DbDoctorError(
          'MISSING_FILE',
          `Drizzle journal lists ${e.tag}, but ${file} does not exist.`,
          {
            unchanged: 'Nothing was done.',
            hint: 'Restore the file from version control, or remove its entry from meta/_journal.json.',
            details: { tag: e.tag },
          },
        );
      }
      const { bytes, text } = readSql(file, `${e.tag}.sql`);
      const cut = /^(\d+)_(.+)$/.exec(e.tag);
      const chunks = text.split(BREAKPOINT).map((sql) => ({ sql: sql.trim(), whole: false }));
      drafts.push({
        id: cut ? cut[1]! : String(e.idx).padStart(4, '0'),
        name: cut ? cut[2]! : e.tag,
        file,
        parts: [{ file, bytes }],
        text,
        sections: {
          up: { sql: text.trim(), transaction: true, chunks: chunks.filter((c) => c.sql !== '') },
          down: null,
        },
        toolChecksum: checksumOf(bytes),
        toolKey: String(e.when),
        when: e.when,
        order,
      });
    }
    // dbdoctor orders by id: the journal's order must agree, or the two tools would differ.
    for (let i = 1; i < drafts.length; i++) {
      const [a, b] = [drafts[i - 1]!, drafts[i]!];
      if (compareIds(a.id, b.id) >= 0) {
        throw new DbDoctorError(
          'BAD_MIGRATION',
          `Drizzle journal runs ${path.basename(a.file)} before ${path.basename(b.file)}, but their ids sort the other way.`,
          {
            unchanged: 'Nothing was done.',
            hint: 'Give the files increasing numeric prefixes in journal order (as drizzle-kit generates them).',
          },
        );
      }
    }
    const order = new Map(drafts.map((d) => [d as Draft, d.order]));
    return finish('drizzle', dir, drafts, stray, (a, b) => order.get(a)! - order.get(b)!);
  },
};

/** The journal's `when` of each tag, for adopt (Drizzle records it as `created_at`). */
export function drizzleWhen(dir: string): Map<string, number> {
  return new Map(readJournal(dir).map((e) => [e.tag, e.when]));
}
