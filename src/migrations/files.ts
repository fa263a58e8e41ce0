import { hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DbDoctorError } from '../errors.js';
import { listMigrations } from '../formats/index.js';

/** The languages a migration file can be written in. */
export type MigrationKind = 'sql' | 'module';

/** A migration file found on disk (read and hashed, not loaded). */
export interface MigrationFile {
  /** The part of the file name before the first `_`. */
  id: string;
  /** The part after the first `_`, without extension. */
  name: string;
  /** The file name without extension (`<id>_<name>`). */
  stem: string;
  file: string;
  kind: MigrationKind;
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  /** The file's text (SQL files only; modules are loaded only when run). */
  text?: string;
  /**
   * The layout the file was read from (`src/formats/`); absent for dbdoctor's own (dbmate's)
   * `-- migrate:up` / `-- migrate:down` files and TS/JS modules.
   */
  format?: string;
  /**
   * The up and down SQL as the format defines them (its own files, markers and transaction
   * rules). Absent: `text` holds `-- migrate:` sections.
   */
  sections?: ParsedSqlMigration;
  /**
   * Re-run whenever its checksum changes instead of once (Flyway's `R__` repeatables); it
   * comes after every versioned migration and has no down.
   */
  repeatable?: boolean;
  /**
   * The checksum the other tool records for this migration, in that tool's own form (Prisma
   * sha256 hex, sqlx SHA-384 hex, Flyway signed CRC32, Drizzle sha256 hex): `adopt` compares it.
   */
  toolChecksum?: string;
  /**
   * What the other tool's history identifies this migration by when it is neither the id nor
   * the checksum: Drizzle's journal `when`, recorded as `__drizzle_migrations.created_at`.
   */
  toolKey?: string;
}

/** One section of a SQL migration. */
export interface SqlSection {
  sql: string;
  /** False when the section line says `transaction:false`. */
  transaction: boolean;
  /**
   * The section cut by the format's own statement markers (Drizzle's `--> statement-breakpoint`,
   * goose's `StatementBegin` / `StatementEnd`): a `whole` chunk is one statement as written, the
   * others are split by the dialect's rules. Absent: `sql` is split by the dialect.
   */
  chunks?: { sql: string; whole: boolean }[];
}

/** A parsed SQL migration. */
export interface ParsedSqlMigration {
  up: SqlSection;
  down: SqlSection | null;
}

const VERSION = /^\d+(\.\d+)*$/;

/**
 * Compares two migration ids: as numbers when both are digits, part by part when both are
 * dotted versions (Flyway's `1.2` < `1.10` < `2`), else as strings.
 */
export function compareIds(a: string, b: string): number {
  if (VERSION.test(a) && VERSION.test(b)) {
    const pa = a.split('.');
    const pb = b.split('.');
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const ba = BigInt(pa[i] ?? '0');
      const bb = BigInt(pb[i] ?? '0');
      if (ba !== bb) return ba < bb ? -1 : 1;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The highest of some ids in migration order (nulls ignored), or null when there are none. */
export function highestId(ids: Iterable<string | null>): string | null {
  let top: string | null = null;
  for (const id of ids) if (id !== null && (top === null || compareIds(id, top) > 0)) top = id;
  return top;
}

/** sha256 hex of some bytes. */
export function checksumOf(bytes: Buffer | string): string {
  // One call, no Hash object: a third of createHash's cost, paid once per migration file.
  return hash('sha256', bytes, 'hex');
}

/**
 * Lists the migrations in `dir`, ordered by id. Reads and hashes every file but loads none.
 * `format` names the folder's layout (dbmate, prisma, drizzle, golang-migrate, goose, sqlx,
 * diesel, flyway; see `src/formats/`); without it the layout is detected. Throws on a missing
 * folder, a badly named migration file, two files with one id, or a file that looks like a
 * migration the format cannot run (never skipped in silence); other stray entries are
 * returned in `uncovered` by {@link listMigrations}.
 */
export function discoverMigrations(dir: string, format?: string): MigrationFile[] {
  return listMigrations(dir, format).files;
}

/**
 * Which ids are one id: numeric ids compare as numbers (`1`, `01` and `001` sort together, so
 * they must not coexist), others as NFC text (macOS may hand back NFD names).
 */
export function idKey(id: string): string {
  return /^\d+$/.test(id) ? BigInt(id).toString() : id.normalize('NFC');
}

/**
 * What one {@link readingEachOnce} has seen of the migrations folder: each file read (its
 * bytes or the error), each folder listed (its sorted entries and their paths), and what each
 * listed entry is as the listing saw it (a regular file or a folder; links and anything else
 * are not kept, so they are looked at again when asked about).
 */
interface FolderSnapshot {
  reads: Map<string, { bytes: Buffer } | { error: unknown }>;
  /** The text of each file's bytes decoded before (goose's detection, then the listing). */
  texts: Map<Buffer, string>;
  listings: Map<string, { names: string[]; paths: Map<string, string> }>;
  kinds: Map<string, 'file' | 'dir'>;
}

let snapshot: FolderSnapshot | null = null;

/**
 * Runs `fn`, which must be synchronous, reading each migration file at most once and listing
 * each folder once: detecting a folder's layout asks every format about the same entries
 * (goose's detection reads every `<n>_<name>.sql`, Diesel's and Prisma's look for folders) and
 * the listing then reads them again, and all of them must see the same folder anyway. Nested
 * calls share the outer one.
 */
export function readingEachOnce<T>(fn: () => T): T {
  if (snapshot !== null) return fn();
  snapshot = { reads: new Map(), texts: new Map(), listings: new Map(), kinds: new Map() };
  try {
    return fn();
  } finally {
    snapshot = null;
  }
}

/**
 * The entries of `dir`, sorted; throws as `fs.readdirSync` does. Inside {@link readingEachOnce}
 * the folder is listed once, with each entry's type, so that asking whether an entry is a file
 * or a folder costs no `stat` (see {@link listedKind}).
 */
export function listFolder(dir: string): string[] {
  if (snapshot === null) return fs.readdirSync(dir).sort();
  const seen = snapshot.listings.get(dir);
  if (seen) return seen.names;
  let dirents: fs.Dirent[] | null;
  try {
    dirents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    // Where the file system gives no types, Node asks lstat for each entry, which may fail
    // (an entry gone since, one that cannot be looked at): list the names alone, as outside.
    dirents = null;
  }
  const names = dirents === null ? fs.readdirSync(dir) : dirents.map((d) => d.name);
  names.sort();
  // path.join normalises the whole path each time; an entry's name holds no separator and is
  // never `.` or `..`, so where joining one name to `dir` is plain concatenation, every name is.
  const prefix = path.join(dir, '_') === `${dir}${path.sep}_` ? `${dir}${path.sep}` : null;
  const paths = new Map<string, string>();
  for (const name of names) paths.set(name, prefix === null ? path.join(dir, name) : prefix + name);
  for (const d of dirents ?? []) {
    const kind = d.isFile() ? 'file' : d.isDirectory() ? 'dir' : null;
    if (kind !== null) snapshot.kinds.set(paths.get(d.name)!, kind);
  }
  snapshot.listings.set(dir, { names, paths });
  return names;
}

/** `path.join(dir, entry)` for an entry of `dir`, as listed by {@link listFolder} when it was. */
export function entryPath(dir: string, entry: string): string {
  return snapshot?.listings.get(dir)?.paths.get(entry) ?? path.join(dir, entry);
}

/**
 * Inside {@link readingEachOnce}: `'file'` or `'dir'` when `full` was listed as a regular file
 * or a folder (not a link), else undefined (unknown: look at it).
 */
export function listedKind(full: string): 'file' | 'dir' | undefined {
  return snapshot?.kinds.get(full);
}

/**
 * Reads a migration file's bytes. Only regular files (or symlinks to them) are read: a FIFO
 * would block the read forever and a device or folder is never a migration, so the type is
 * checked first (with stat, or as the folder's listing saw it), and again on the opened
 * descriptor (O_NONBLOCK, so a FIFO swapped in between cannot hang the open) before reading.
 * Inside {@link readingEachOnce}, a file read before gives the same bytes (or error) again.
 * Callers do not modify the bytes.
 */
export function readMigrationBytes(full: string, entry: string): Buffer {
  const seen = snapshot?.reads.get(full);
  if (seen) {
    if ('error' in seen) throw seen.error;
    return seen.bytes;
  }
  try {
    const bytes = readMigrationBytesNow(full, entry);
    snapshot?.reads.set(full, { bytes });
    return bytes;
  } catch (e) {
    snapshot?.reads.set(full, { error: e });
    throw e;
  }
}

function readMigrationBytesNow(full: string, entry: string): Buffer {
  // Listed as a regular file a moment ago: the check on the opened descriptor below still
  // stands between a FIFO put in its place and the read.
  if (listedKind(full) !== 'file') {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (e) {
      throw unreadable(entry, full, e);
    }
    if (!stat.isFile()) throw notAFile(entry, full, stat);
  }
  let fd: number;
  try {
    fd = fs.openSync(full, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw unreadable(entry, full, e);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) throw notAFile(entry, full, opened);
    return readOpened(fd, opened.size);
  } catch (e) {
    throw e instanceof DbDoctorError ? e : unreadable(entry, full, e);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The bytes of an open regular file of `size` bytes, read as `fs.readFileSync(fd)` reads them
 * (up to `size`, fewer if it shrank) without the second fstat that would cost. An empty or
 * huge file is left to readFileSync itself (its way for a size of 0, its error past the limit).
 */
function readOpened(fd: number, size: number): Buffer {
  if (size === 0 || size > 0x3fffffff) return fs.readFileSync(fd);
  const bytes = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const n = fs.readSync(fd, bytes, at, size - at, null);
    if (n === 0) break;
    at += n;
  }
  return at < size ? bytes.subarray(0, at) : bytes;
}

function unreadable(entry: string, full: string, e: unknown): DbDoctorError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  const why =
    code === 'ENOENT'
      ? `is a symbolic link to ${linkTarget(full)}, which does not exist`
      : code === 'ELOOP'
        ? 'is a symbolic link that loops (it points back to itself through other links)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read: permission denied'
          : `cannot be read (${code})`;
  return new DbDoctorError('MIGRATION_FILE_UNREADABLE', `Migration file ${entry} ${why}.`, {
    unchanged: 'Nothing was done: no migration ran and the database was not opened.',
    hint:
      code === 'EACCES' || code === 'EPERM'
        ? `Give the user running dbdoctor read access (e.g. chmod a+r ${full}).`
        : `Fix or remove ${full}.`,
    details: { file: full, errno: code },
    cause: e,
  });
}

function linkTarget(full: string): string {
  try {
    return fs.readlinkSync(full);
  } catch {
    return 'a missing file';
  }
}

function notAFile(entry: string, full: string, stat: fs.Stats): DbDoctorError {
  const what = stat.isDirectory()
    ? 'a folder'
    : stat.isFIFO()
      ? 'a named pipe (FIFO)'
      : stat.isSocket()
        ? 'a socket'
        : 'a device';
  return new DbDoctorError(
    'MIGRATION_FILE_UNREADABLE',
    `Migration file ${entry} is ${what}, not a regular file.`,
    {
      unchanged: 'Nothing was done: no migration ran and the database was not opened.',
      hint: `Remove or rename ${full}; only regular files (or links to them) named <id>_<name>.<ext> are migrations.`,
      details: { file: full, errno: stat.isDirectory() ? 'EISDIR' : 'ENOTREG' },
    },
  );
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A SQL file's text. It must be UTF-8; a byte-order mark at the start is dropped (editors on
 * Windows add one). The checksum stays that of the raw bytes, so files applied before are stable.
 * Inside {@link readingEachOnce}, bytes decoded before (the same file's) give the same text.
 */
export function decodeSql(bytes: Buffer, entry: string): string {
  const seen = snapshot?.texts.get(bytes);
  if (seen !== undefined) return seen;
  const text = decodeSqlNow(bytes, entry);
  snapshot?.texts.set(bytes, text);
  return text;
}

function decodeSqlNow(bytes: Buffer, entry: string): string {
  const utf16 =
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  let text: string | null = null;
  if (!utf16) {
    try {
      text = UTF8.decode(bytes);
    } catch {
      text = null;
    }
  }
  if (text === null) {
    throw new DbDoctorError(
      'BAD_ENCODING',
      `Migration file ${entry} is not UTF-8${utf16 ? ' (it is UTF-16)' : ''}.`,
      {
        unchanged: 'Nothing was done: no migration ran and the database was not opened.',
        hint: 'Save the file as UTF-8 (with or without a byte-order mark).',
        details: { file: entry },
      },
    );
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const SECTION = /^--\s*migrate:(up|down)\b(.*)$/gm;

/** Splits a dbmate-style SQL file into its up and down sections. */
export function parseSqlMigration(source: string, fileLabel: string): ParsedSqlMigration {
  // A byte-order mark would hide a first-line "-- migrate:up".
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const marks = [...text.matchAll(SECTION)];
  const sections: Partial<Record<'up' | 'down', SqlSection>> = {};
  for (const [i, m] of marks.entries()) {
    const kind = m[1] as 'up' | 'down';
    if (sections[kind]) {
      throw new DbDoctorError('BAD_MIGRATION', `${fileLabel} has two "-- migrate:${kind}" sections.`, {
        unchanged: 'Nothing was done.',
        hint: `Keep one "-- migrate:${kind}" section.`,
      });
    }
    const bodyStart = m.index! + m[0].length;
    const bodyEnd = marks[i + 1]?.index ?? text.length;
    const options = m[2] ?? '';
    sections[kind] = {
      sql: text.slice(bodyStart, bodyEnd).trim(),
      transaction: !/transaction:\s*false/i.test(options),
    };
  }
  if (!sections.up) {
    throw new DbDoctorError('NO_UP_SECTION', `${fileLabel} has no "-- migrate:up" section.`, {
      unchanged: 'Nothing was done.',
      hint: 'Start the file with a line "-- migrate:up", then the SQL; add "-- migrate:down" for the reverse.',
    });
  }
  // An empty down section is a down that does nothing (dbmate runs it and succeeds); a file
  // with no down section at all has no down.
  return { up: sections.up, down: sections.down ?? null };
}

/** A UTC timestamp id like 20260128091734. */
export function timestampId(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Finds a migration by id or full stem. Returns undefined when nothing matches.
 */
export function findMigration(files: readonly MigrationFile[], ref: string): MigrationFile | undefined {
  return files.find((f) => f.id === ref || f.stem === ref);
}
