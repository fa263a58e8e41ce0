import { DbDoctorError } from '../errors.js';
import { entryPath, type ParsedSqlMigration, type SqlSection } from '../migrations/files.js';
import {
  type Draft,
  entriesOf,
  finish,
  hidden,
  type MigrationFormat,
  readSql,
  type Uncovered,
  uncovered,
} from './format.js';

/** An annotation: `-- +goose …` on its own line, no leading space, any case. */
const ANNOTATION = /^--\s+\+goose\s+(.*?)\s*$/i;

/**
 * Splits a goose SQL file by its annotations (pressly.github.io/goose, "SQL file annotations"):
 * `-- +goose Up` (exactly one, required), `-- +goose Down` (optional, after Up),
 * `-- +goose StatementBegin` / `StatementEnd` around a statement that holds semicolons (kept
 * whole), and `-- +goose NO TRANSACTION`, which runs both directions outside a transaction.
 * `ENVSUB ON` is refused: dbdoctor does not substitute environment variables into SQL.
 */
export function parseGoose(text: string, label: string): ParsedSqlMigration {
  const bad = (why: string, hint: string) =>
    new DbDoctorError('BAD_MIGRATION', `${label}: ${why}.`, { unchanged: 'Nothing was done.', hint });
  let noTransaction = false;
  let current: 'up' | 'down' | null = null;
  const parts: Record<'up' | 'down', { chunks: { sql: string; whole: boolean }[]; seen: boolean }> = {
    up: { chunks: [], seen: false },
    down: { chunks: [], seen: false },
  };
  let buffer: string[] = [];
  let inStatement = false;
  const flush = (whole: boolean) => {
    const sql = buffer.join('\n').trim();
    buffer = [];
    if (current && sql !== '') parts[current].chunks.push({ sql, whole });
  };
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const m = ANNOTATION.exec(line);
    if (!m) {
      buffer.push(line);
      continue;
    }
    const word = m[1]!.toLowerCase().replace(/\s+/g, ' ');
    if (word === 'up' || word === 'down') {
      if (inStatement)
        throw bad(
          `line ${i + 1}: -- +goose ${m[1]} inside a StatementBegin block`,
          'Close the block with -- +goose StatementEnd first.',
        );
      if (parts[word].seen) throw bad(`two -- +goose ${m[1]} annotations`, `Keep one -- +goose ${m[1]}.`);
      if (word === 'up' && parts.down.seen)
        throw bad('-- +goose Down comes before -- +goose Up', 'Put the Up section first.');
      flush(false);
      current = word;
      parts[word].seen = true;
    } else if (word === 'statementbegin') {
      flush(false);
      inStatement = true;
    } else if (word === 'statementend') {
      if (!inStatement)
        throw bad(
          `line ${i + 1}: StatementEnd without StatementBegin`,
          'Pair every StatementEnd with a StatementBegin.',
        );
      flush(true);
      inStatement = false;
    } else if (word === 'no transaction') {
      noTransaction = true;
    } else if (word.startsWith('envsub')) {
      if (word === 'envsub on')
        throw bad(
          '-- +goose ENVSUB ON asks for environment variables in the SQL, which dbdoctor does not substitute',
          'Write the values into the file, or keep running this migration with goose.',
        );
    } else {
      throw bad(
        `line ${i + 1}: unknown annotation "-- +goose ${m[1]}"`,
        'Use Up, Down, StatementBegin, StatementEnd or NO TRANSACTION.',
      );
    }
  }
  if (inStatement)
    throw bad('a StatementBegin block is never closed', 'Add -- +goose StatementEnd after the statement.');
  flush(false);
  if (!parts.up.seen) {
    throw new DbDoctorError('NO_UP_SECTION', `${label} has no "-- +goose Up" annotation.`, {
      unchanged: 'Nothing was done.',
      hint: 'Start the file with a line "-- +goose Up" (no leading space), then the SQL; add "-- +goose Down" for the reverse.',
    });
  }
  const sectionOf = (p: { chunks: { sql: string; whole: boolean }[] }): SqlSection => ({
    sql: p.chunks.map((c) => c.sql).join('\n'),
    transaction: !noTransaction,
    chunks: p.chunks,
  });
  return { up: sectionOf(parts.up), down: parts.down.seen ? sectionOf(parts.down) : null };
}

/**
 * goose: `<version>_<name>.sql` (timestamp or sequential number) with `-- +goose`
 * annotations; Go migrations (`.go`) cannot run here and are reported. `goose_db_version`
 * records each version with `is_applied`.
 */
export const goose: MigrationFormat = {
  name: 'goose',
  defaultDirs: ['migrations', 'db/migrations', '.'],
  detect(dir) {
    for (const e of entriesOf(dir)) {
      if (!/^\d+_.+\.sql$/.test(e)) continue;
      try {
        if (/^--\s+\+goose\s+up\b/im.test(readSql(entryPath(dir, e), e).text)) return true;
      } catch {
        // Reported by the listing.
      }
    }
    return false;
  },
  list(dir) {
    const drafts: Draft[] = [];
    const stray: Uncovered[] = [];
    for (const entry of entriesOf(dir)) {
      if (hidden(entry)) continue;
      const m = /^(\d+)_(.+)\.sql$/.exec(entry);
      if (!m) {
        stray.push(
          uncovered(
            dir,
            entry,
            entry.endsWith('.go')
              ? 'a Go migration: dbdoctor runs SQL and TypeScript only'
              : 'goose reads <version>_<name>.sql files',
          ),
        );
        continue;
      }
      const file = entryPath(dir, entry);
      const { bytes, text } = readSql(file, entry);
      drafts.push({
        id: m[1]!,
        name: m[2]!,
        file,
        parts: [{ file, bytes }],
        text,
        sections: parseGoose(text, entry),
      });
    }
    return finish('goose', dir, drafts, stray);
  },
  scaffold(id, name) {
    return { [`${id}_${name}.sql`]: '-- +goose Up\n\n\n-- +goose Down\n\n' };
  },
};
