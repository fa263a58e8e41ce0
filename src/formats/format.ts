import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import {
  checksumOf,
  compareIds,
  decodeSql,
  entryPath,
  idKey,
  listedKind,
  listFolder,
  type MigrationFile,
  type ParsedSqlMigration,
  readMigrationBytes,
} from '../migrations/files.js';

import type { FormatName } from './names.js';

export { FORMAT_NAMES, type FormatName } from './names.js';

/** An entry of a migrations folder that its format does not read. */
export interface Uncovered {
  /** Path relative to the migrations folder. */
  path: string;
  /** Why it is not a migration of this format. */
  reason: string;
  /**
   * True when it looks like a migration the format cannot run (a `.cjs` module, a Go
   * migration): running the others without it would leave the schema short, so it stops
   * every command. False for anything else (a README, a stray folder): reported, not fatal.
   */
  blocking: boolean;
}

/** What a format found in a folder. */
export interface FormatListing {
  format: FormatName;
  /** Ordered as the tool runs them. */
  files: MigrationFile[];
  uncovered: Uncovered[];
}

/**
 * One tool's migration folder layout: how to recognise it and how to read it into
 * migrations (id, name, up/down SQL, transaction mode) that dbdoctor runs by that tool's rules.
 */
export interface MigrationFormat {
  name: FormatName;
  /** Where the tool puts the folder by default, relative to the project (first is the usual). */
  defaultDirs: readonly string[];
  /** True when `dir` is laid out the way this tool writes it. Reads names and small files only. */
  detect(dir: string): boolean;
  /** Reads every migration of `dir`; never skips an entry without reporting it. */
  list(dir: string): FormatListing;
  /**
   * Files for a new empty migration (`dbdoctor new`), relative to `dir`; absent where the
   * tool's own generator must write it (Drizzle's journal).
   */
  scaffold?(id: string, name: string): Record<string, string>;
  /** How the tool numbers a new migration, given the existing ones (default: a UTC timestamp). */
  nextId?(existing: readonly MigrationFile[]): string;
}

/** One migration as a format reads it, before its checksum and order are settled. */
export interface Draft {
  id: string;
  name: string;
  /** The up file (errors name it). */
  file: string;
  /** Every file the migration is made of, up first: the checksum covers them all. */
  parts: { file: string; bytes: Buffer }[];
  text: string;
  sections: ParsedSqlMigration;
  repeatable?: boolean;
  toolChecksum?: string;
  toolKey?: string;
}

/**
 * The entries of a migrations folder, sorted, or NO_MIGRATIONS_DIR. Callers do not modify the
 * list (inside a listing, every format is handed the same one).
 */
export function entriesOf(dir: string): readonly string[] {
  try {
    return listFolder(dir);
  } catch (e) {
    throw new DbDoctorError('NO_MIGRATIONS_DIR', `Migrations folder ${dir} cannot be read.`, {
      unchanged: 'Nothing was done.',
      hint: 'Pass --dir, set "dir" in dbdoctor.config.json, or run `dbdoctor init`.',
      cause: e,
    });
  }
}

/** True for a folder (following links); false for anything else or nothing. */
export function isDir(p: string): boolean {
  const listed = listedKind(p);
  if (listed !== undefined) return listed === 'dir';
  // Without an exception for a missing path: detection asks about hundreds of them.
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** True for a regular file (following links). */
export function isFile(p: string): boolean {
  const listed = listedKind(p);
  if (listed !== undefined) return listed === 'file';
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/** Reads a SQL file of a migration: its bytes (for the checksum) and its UTF-8 text. */
export function readSql(full: string, label: string): { bytes: Buffer; text: string } {
  const bytes = readMigrationBytes(full, label);
  return { bytes, text: decodeSql(bytes, label) };
}

/** Hidden entries (`.gitkeep`, `.DS_Store`) belong to the editor or VCS, never to a tool. */
export function hidden(entry: string): boolean {
  return entry.startsWith('.');
}

const CODE_EXT = /\.(sql|[cm]?[jt]s|go|rs|py|rb|java|kt|groovy|scala|php|cs|ex|exs)$/i;

/** An entry that is not one of the format's: blocking when it looks like a migration. */
export function uncovered(dir: string, entry: string, reason: string): Uncovered {
  const full = entryPath(dir, entry);
  return { path: entry, reason, blocking: !isDir(full) && CODE_EXT.test(entry) && !entry.endsWith('.d.ts') };
}

/**
 * Orders the drafts (`order` when the tool keeps one, else by id), refuses two with one id,
 * and stops on a blocking uncovered entry, naming every one of them.
 */
export function finish(
  format: FormatName,
  dir: string,
  drafts: Draft[],
  stray: Uncovered[],
  order?: (a: Draft, b: Draft) => number,
): FormatListing {
  const byId = new Map<string, Draft>();
  for (const d of drafts) {
    const key = d.repeatable ? `R:${d.id}` : idKey(d.id);
    const other = byId.get(key);
    if (other) {
      const a = path.relative(dir, other.file);
      const b = path.relative(dir, d.file);
      throw new DbDoctorError('DUPLICATE_ID', `Two migration files share the id ${d.id}: ${a} and ${b}.`, {
        unchanged: 'Nothing was done.',
        hint: `Give one of them a new ${format === 'flyway' ? 'version' : 'id'}. Ids that are equal as numbers (1 and 01) or as Unicode text (NFC and NFD spellings) are the same id.`,
        details: { id: d.id, files: [a, b] },
      });
    }
    byId.set(key, d);
  }
  refuseBlocking(format, dir, stray);
  const sorted = [...drafts].sort(order ?? ((a, b) => compareIds(a.id, b.id)));
  return {
    format,
    files: sorted.map((d) => ({
      id: d.id,
      name: d.name,
      stem: d.repeatable ? d.id : `${d.id}_${d.name}`,
      file: d.file,
      kind: 'sql' as const,
      checksum: checksumOfParts(d.parts.map((p) => p.bytes)),
      text: d.text,
      format,
      sections: d.sections,
      ...(d.repeatable ? { repeatable: true } : {}),
      ...(d.toolChecksum !== undefined ? { toolChecksum: d.toolChecksum } : {}),
      ...(d.toolKey !== undefined ? { toolKey: d.toolKey } : {}),
    })),
    uncovered: stray,
  };
}

/** Stops on an entry that looks like a migration the format cannot run, naming every one. */
export function refuseBlocking(format: FormatName, dir: string, stray: readonly Uncovered[]): void {
  const blocking = stray.filter((u) => u.blocking);
  if (blocking.length > 0) {
    const shown = blocking.slice(0, 10).map((u) => `  - ${u.path}: ${u.reason}`);
    if (blocking.length > 10) shown.push(`  … and ${blocking.length - 10} more (--json lists them all)`);
    const list = shown.join('\n');
    throw new DbDoctorError(
      'UNCOVERED_MIGRATION_FILE',
      `${blocking.length === 1 ? 'A file' : `${blocking.length} files`} in ${dir} look${blocking.length === 1 ? 's' : ''} like ${blocking.length === 1 ? 'a migration' : 'migrations'} that the ${format} layout does not cover, so dbdoctor would not run ${blocking.length === 1 ? 'it' : 'them'}:\n${list}`,
      {
        unchanged: 'Nothing was done: no migration ran and the database was not opened.',
        hint: `Rewrite ${blocking.length === 1 ? 'it' : 'them'} as SQL in the ${format} layout (or a TS migration in dbdoctor's own), move ${blocking.length === 1 ? 'it' : 'them'} out of the folder, or pass --format if the folder is another tool's.`,
        details: { format, uncovered: blocking },
      },
    );
  }
}

/**
 * sha256 of a migration's files: of the one file's bytes (as for dbdoctor's own files), or of
 * each part's length and bytes in turn, so an edit to a down file is seen too.
 */
function checksumOfParts(parts: Buffer[]): string {
  if (parts.length === 1) return checksumOf(parts[0]!);
  const framed: Buffer[] = [];
  for (const p of parts) framed.push(Buffer.from(`${p.length}:`), p);
  return checksumOf(Buffer.concat(framed));
}

/** A section run as written in one transaction or outside one. */
export function section(sql: string, transaction: boolean): ParsedSqlMigration['up'] {
  return { sql: sql.trim(), transaction };
}

/**
 * A down section of an empty file means "nothing to undo" only where the tool says so;
 * everywhere else an empty down file is a down that does nothing, the same thing.
 */
export function downOf(sql: string | null, transaction: boolean): ParsedSqlMigration['down'] {
  if (sql === null) return null;
  return section(sql, transaction);
}
