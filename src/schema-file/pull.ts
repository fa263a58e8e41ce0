/**
 * `pull` and `dump`: the live schema written as a schema file (schema.sql per dialect, or
 * schema.ts in the DSL's vocabulary), deterministic, so it can be committed and reviewed; with
 * a baseline, also a first migration recorded as applied, which adopts a database that has no
 * history in one command.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openConnection } from '../dialects/open.js';
import { notTheUsers } from '../doctor/ignore.js';
import { renderSchemaSql, schemaSqlOf } from '../dump/index.js';
import { DbDoctorError, errorMessage, isDbDoctorError } from '../errors.js';
import { type EngineOptions, historyTableName } from '../migrations/engine.js';
import { discoverMigrations, timestampId } from '../migrations/files.js';
import { History } from '../migrations/history.js';
import { stamp } from '../migrations/stamp.js';
import { fingerprint } from '../schema/fingerprint.js';
import type { Schema } from '../schema/model.js';
import { definitionCode } from './definition.js';
import { readSchemaFile } from './read.js';

/** Options of {@link pull}. */
export interface PullOptions extends EngineOptions {
  /** `sql` (default): schema.sql in the database's SQL; `ts`: schema.ts in the DSL's vocabulary. */
  format?: 'sql' | 'ts';
  /** Where to write. Default `schema.sql` / `schema.ts` beside the migrations folder. */
  file?: string;
  /** PostgreSQL schema holding the tables. Default `public`. */
  schema?: string;
  /** Tables that are not the project's (names or globs). */
  ignore?: string[];
  /**
   * Also write the schema as the first migration and record it as applied (a database with
   * tables and no history, adopted). Refused when the project already has migrations.
   */
  baseline?: boolean;
  /** False: return the text, write nothing. Default true. */
  write?: boolean;
  /**
   * Overwrite the file even when it was edited since dbdoctor last wrote it (or dbdoctor did
   * not write it). Default false: SCHEMA_FILE_EDITED.
   */
  force?: boolean;
}

/** The result of {@link pull}. */
export interface PullResult {
  dialect: string;
  database: string;
  format: 'sql' | 'ts';
  /** The file written (or that would be, with `write: false`). */
  file: string;
  /** True when the file already held exactly this text. */
  unchanged: boolean;
  tables: number;
  /** Fingerprint of the live schema. */
  fingerprint: string;
  text: string;
  /** The baseline migration written and stamped, or null. */
  baseline: { id: string; file: string } | null;
  /**
   * Why the file may not be the schema the migrations give: the database has pending
   * migrations (a generate from this file would undo them) or history problems.
   */
  warnings: PullWarning[];
}

/** A reason the pulled schema may not be the migrations' head ({@link PullResult.warnings}). */
export interface PullWarning {
  /** `PENDING_MIGRATIONS`, a status problem's code, or `STATUS_UNKNOWN`. */
  code: string;
  message: string;
  /** The migrations it names (`<id>_<name>` or ids). */
  migrations: string[];
}

/**
 * What `status` says against the pulled schema being the migrations' head (with
 * `migratedOnly`, nothing for a database no migration ran on): pending migrations
 * (the database is behind a teammate's work, and a generate from the file would undo it) and
 * history problems. Read-only.
 */
export async function headWarnings(
  options: PullOptions,
  { migratedOnly = false }: { migratedOnly?: boolean } = {},
): Promise<PullWarning[]> {
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  if (!fs.existsSync(dir)) return [];
  const { status } = await import('../migrations/status.js');
  try {
    // `format` here is the schema file's; status reads the migrations folder's own layout.
    const { format: _schemaFormat, ...engine } = options;
    const s = await status(engine);
    const out: PullWarning[] = [];
    // migratedOnly: a database no migration ran on (a fresh one) is not behind anyone's work.
    if (migratedOnly && s.applied.length === 0) return [];
    if (s.pending.length > 0) {
      const names = s.pending.map((p) => `${p.id}_${p.name}`);
      out.push({
        code: 'PENDING_MIGRATIONS',
        message: `The database has ${names.length} pending migration(s) (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}): the file is the schema before them, and a migration generated from it would undo them. Run \`dbdoctor apply\` first, then pull again.`,
        migrations: names,
      });
    }
    for (const p of s.problems)
      out.push({ code: p.code, message: `${p.message} (fix: ${p.fix})`, migrations: [p.id] });
    return out;
  } catch (e) {
    return [
      {
        code: 'STATUS_UNKNOWN',
        message: `Could not compare the database with the migrations, so the file may not be the schema they give: ${errorMessage(e)}`,
        migrations: [],
      },
    ];
  }
}

function projectFile(options: EngineOptions, name: string): string {
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  return path.join(path.dirname(dir), name);
}

function cannotWrite(file: string, e: unknown, what: string): DbDoctorError {
  return new DbDoctorError('CANNOT_WRITE_SCHEMA', `Cannot write ${file}: ${errorMessage(e)}`, {
    unchanged: what,
    hint: 'Check that the folder exists and is writable, or pass another --file.',
    details: { file, errno: (e as NodeJS.ErrnoException).code },
    cause: e,
  });
}

/** Writes `text` to `file` through a temporary file, so a reader never sees half of it. */
function writeAtomically(file: string, text: string, unchanged: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw cannotWrite(file, e, unchanged);
  }
}

/** The live schema and the database's own texts of its objects (read-only). */
async function readLive(options: PullOptions) {
  const historyTable = historyTableName(options.historyTable);
  const conn = await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  try {
    const writer = schemaSqlOf(conn.dialect);
    const historySchema = await conn.dialect.engine.historySchema(conn, historyTable);
    const exclude = await notTheUsers(conn, historyTable, historySchema, options.ignore ?? []);
    const schema = await conn.dialect.introspect(conn, { schema: options.schema, exclude });
    const sources = await writer.readSources(conn, options.schema);
    const history = await new History(conn, historyTable, historySchema).read().catch(() => null);
    return { schema, sources, database: conn.display, hasHistory: (history ?? []).length > 0 };
  } catch (e) {
    throw isDbDoctorError(e) ? e : (conn.describeError(e) ?? e);
  } finally {
    await conn.close();
  }
}

/** The line that records what dbdoctor wrote: `<comment> dbdoctor-sha256: <hex> …`. */
const WRITTEN_LINE = /^(?:--|\/\/) dbdoctor-sha256: ([0-9a-f]{64})\b[^\n]*\n/m;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * `text` with a line recording its hash (after schema.sql's first line, which says what the
 * file is; first in schema.ts), so a later pull or dump can tell a file left as dbdoctor wrote
 * it from one the user edited since.
 */
export function markWritten(text: string, format: 'sql' | 'ts'): string {
  const comment = format === 'sql' ? '--' : '//';
  const line = `${comment} dbdoctor-sha256: ${sha256(text)} (pull/dump overwrite this file only while it is unedited; --force to overwrite edits)\n`;
  if (format === 'ts') return line + text;
  const end = text.indexOf('\n') + 1;
  return text.slice(0, end) + line + text.slice(end);
}

/** Whether `text` is exactly what dbdoctor last wrote (its recorded hash still matches). */
export function isAsWritten(text: string): boolean {
  const m = WRITTEN_LINE.exec(text);
  if (!m) return false;
  return sha256(text.slice(0, m.index) + text.slice(m.index + m[0].length)) === m[1];
}

/**
 * Whether the schema file means exactly the live schema (its edits were generated and
 * applied), so writing the live schema over it loses no change, only its wording.
 */
async function meansLive(file: string, live: string, options: PullOptions): Promise<boolean> {
  const conn = await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  try {
    const loaded = await readSchemaFile(conn, file, { schema: options.schema });
    return fingerprint(loaded.schema) === live;
  } catch {
    return false;
  } finally {
    await conn.close();
  }
}

/** The schema file text of a model in a format (DSL: refused when a table has no portable form). */
export function schemaFileText(
  schema: Schema,
  sources: Record<string, string>,
  format: 'sql' | 'ts',
): string {
  if (format === 'sql') return renderSchemaSql(schema, sources);
  const made = definitionCode(schema);
  if ('code' in made) return made.code;
  throw new DbDoctorError(
    'SCHEMA_NOT_PORTABLE',
    `The schema cannot be written in the DSL's vocabulary:\n${made.notPortable.map((n) => `  - ${n.table}: ${n.reason}`).join('\n')}`,
    {
      unchanged: 'Nothing was written.',
      hint: 'Use --format sql (schema.sql keeps every detail of the database), or change those tables first.',
      details: { notPortable: made.notPortable },
    },
  );
}

/**
 * Writes the live schema as a schema file (default schema.sql beside the migrations folder).
 * With `baseline`, also writes it as the project's first migration and stamps the database
 * at it. Reads the database only (the stamp writes its history).
 */
export async function pull(options: PullOptions): Promise<PullResult> {
  const format = options.format ?? 'sql';
  const file = path.resolve(
    options.cwd ?? process.cwd(),
    options.file ?? projectFile(options, format === 'ts' ? 'schema.ts' : 'schema.sql'),
  );
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  if (options.baseline && fs.existsSync(dir)) {
    // A folder not made yet has no migrations: the baseline makes it.
    const existing = discoverMigrations(dir);
    if (existing.length > 0)
      throw new DbDoctorError(
        'BASELINE_REFUSED',
        `--baseline writes the first migration, but ${dir} already has ${existing.length} migration(s).`,
        {
          unchanged: 'Nothing was written or stamped.',
          hint: 'Pull without --baseline and generate the next migration with `dbdoctor generate <name>`; or start a new migrations folder (--dir).',
        },
      );
  }
  const live = await readLive(options);
  if (options.baseline && live.hasHistory)
    throw new DbDoctorError('BASELINE_REFUSED', 'The database already has a migration history.', {
      unchanged: 'Nothing was written or stamped.',
      hint: 'A baseline is for a database without history; `dbdoctor doctor` shows which revision it matches.',
    });
  const bare = schemaFileText(live.schema, live.sources, format);
  const text = markWritten(bare, format);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  const result: PullResult = {
    dialect: live.schema.dialect,
    database: live.database,
    format,
    file,
    unchanged: existing === text,
    tables: Object.keys(live.schema.tables).length,
    fingerprint: fingerprint(live.schema),
    text,
    baseline: null,
    warnings: options.baseline ? [] : await headWarnings(options),
  };
  if (options.write === false) return result;
  if (
    existing !== null &&
    !result.unchanged &&
    !options.force &&
    !isAsWritten(existing) &&
    !(await meansLive(file, result.fingerprint, options))
  )
    throw new DbDoctorError(
      'SCHEMA_FILE_EDITED',
      `${file} differs from what dbdoctor last wrote there (edited since, or not written by dbdoctor); writing the live schema would lose those edits.`,
      {
        unchanged: `Nothing was written: ${file} is as you left it.`,
        hint: 'Run `dbdoctor generate <name>` first to turn the edits into a migration (or `dbdoctor diff` to see them), or pass --force to overwrite the file with the live schema.',
        details: { file },
      },
    );
  if (!result.unchanged) writeAtomically(file, text, 'Nothing was written.');
  if (!options.baseline) return result;

  const id = timestampId(new Date());
  const migration = path.join(dir, `${id}_baseline.sql`);
  const sql = format === 'sql' ? bare : renderSchemaSql(live.schema, live.sources);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(migration, `-- migrate:up\n${sql}`, { flag: 'wx' });
  } catch (e) {
    throw cannotWrite(migration, e, `${file} was written; no migration was written and nothing was stamped.`);
  }
  // `format` here is the schema file's; stamp reads the migrations folder's own layout.
  const { format: _schemaFormat, ...engine } = options;
  try {
    await stamp({ ...engine, target: id });
  } catch (e) {
    if (!(e instanceof DbDoctorError)) throw e;
    throw new DbDoctorError(e.code, e.message, {
      unchanged: `${file} and the baseline migration ${migration} were written; the database was NOT stamped.`,
      hint: `${e.hint ? `${e.hint} Then run` : 'Run'} \`dbdoctor stamp ${id}\` to record the baseline as applied (its tables already exist: never \`apply\` it).`,
      details: e.details,
      cause: e,
    });
  }
  return { ...result, baseline: { id, file: migration } };
}
