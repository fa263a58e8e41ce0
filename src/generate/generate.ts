/**
 * `generate` / `diff`: the migration that takes the migrations' head (the doctor's replay) to
 * the desired schema file, verified before it is written: replaying the migrations and then
 * it must give exactly the desired fingerprint, and its down the head's again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  Connection,
  Dialect,
  ObjectSources,
  OperationCompiler,
  SchemaSql,
} from '../dialects/dialect.js';
import { dialectOfInput, openConnection } from '../dialects/open.js';
import { dialectNamed } from '../dialects/registry.js';
import { defaultCacheDir } from '../doctor/doctor.js';
import { expectedSchemas } from '../doctor/expected.js';
import { notTheUsers } from '../doctor/ignore.js';
import { type LoadedSchema, loadSchemaInto, renderSchemaSql, schemaSqlOf } from '../dump/index.js';
import { DbDoctorError, errorMessage, isDbDoctorError } from '../errors.js';
import { detectFormat, formatNamed } from '../formats/index.js';
import {
  DEFAULT_STATEMENT_LOCK_TIMEOUT_MS,
  type EngineOptions,
  historyTableName,
} from '../migrations/engine.js';
import { executeMigration } from '../migrations/execute.js';
import { discoverMigrations, type MigrationFile, timestampId } from '../migrations/files.js';
import { History } from '../migrations/history.js';
import { type LoadedMigration, loadMigration } from '../migrations/load.js';
import { type LintFinding, lintOperations } from '../ops/lint.js';
import type { Operation } from '../ops/types.js';
import { diff, type SchemaChange } from '../schema/diff.js';
import { fingerprint, objectHashes } from '../schema/fingerprint.js';
import { markFrozenTimes } from '../schema/frozen.js';
import type { Schema } from '../schema/model.js';
import { readSchemaFileInto } from '../schema-file/read.js';
import { migrationCode } from './code.js';
import { invertRenames, planMigration, type Rename } from './plan.js';
import { overlaps, type RenameCandidate, renameCandidates, validateRenames } from './renames.js';
import { dataLossFindings, notNullAddsWithoutDefault, rowsTheChangeRejects } from './safety.js';

export type { Rename } from './plan.js';
export type { RenameCandidate } from './renames.js';

/** Options of {@link generateMigration}. */
export interface GenerateOptions extends EngineOptions {
  /** What the migration does (the file is `<timestamp>_<name>.ts`). */
  name: string;
  /** The desired schema: schema.sql or schema.ts. Default `schema.sql` beside the migrations folder. */
  schemaFile?: string;
  /** Renames to make instead of a drop and an add. Never guessed. */
  renames?: readonly Rename[];
  /**
   * Asked about each drop-and-add that may be a rename (any table that goes with any that
   * comes, any column likewise within a table; the most alike first) and was not given in
   * `renames`; true makes it a rename. Without it, none is.
   */
  confirmRename?: (candidate: RenameCandidate) => Promise<boolean>;
  /** PostgreSQL schema holding the tables. Default `public`. */
  schema?: string;
  /** Tables that are not the project's (names or globs). */
  ignore?: string[];
  /** Where the doctor caches expected schemas; false: replay every migration. */
  cacheDir?: string | false;
  /** False: plan and verify, write nothing (`diff`). Default true. */
  write?: boolean;
}

/** The result of {@link generateMigration}. */
export interface GenerateResult {
  dialect: string;
  schemaFile: string;
  /** True when the migrations already give the desired schema: nothing to generate. */
  empty: boolean;
  /** The new migration's id and file (null when empty or not written). */
  id: string | null;
  file: string | null;
  /** The migration's source (null when empty). */
  code: string | null;
  up: Operation[];
  /** The operations of down, or null when the change cannot be undone (see `irreversible`). */
  down: Operation[] | null;
  /** Why down could not be generated (empty when it was). */
  irreversible: string[];
  /** The differences between the head and the desired schema, in words. */
  changes: SchemaChange[];
  renames: Rename[];
  /** Drop-and-add pairs that look like renames and were not confirmed (made as drop and add). */
  possibleRenames: RenameCandidate[];
  /** Lint findings of the up operations (`apply` refuses error-level ones without --force). */
  lint: LintFinding[];
  fingerprint: { head: string; desired: string };
  /**
   * Where up and down were verified: `schema-file`, on the database the schema file was loaded
   * into, taken back to the head's exact fingerprint by down, then up again; `replay`, on the
   * migrations replayed (when there is no down, or an object's text only the migrations hold).
   * Null when there was nothing to generate.
   */
  verifiedOn: 'schema-file' | 'replay' | null;
}

function defaultSchemaFile(options: EngineOptions): string {
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  return path.join(path.dirname(dir), 'schema.sql');
}

/**
 * The database to make scratch databases beside: the live one; or, when it does not exist yet
 * (a database file not created) and the dialect can make an empty database of its own without
 * one ({@link OperationCompiler.previewDatabase}), that. generate never writes to the live
 * database nor creates it; it only counts the rows the change would reject there.
 */
async function openHost(options: EngineOptions): Promise<Connection> {
  try {
    return await openConnection(options.database, { cwd: options.cwd, mustExist: true });
  } catch (e) {
    if (!(isDbDoctorError(e) && e.code === 'DB_NOT_FOUND') || typeof options.database !== 'string') throw e;
    const dialect = dialectNamed(dialectOfInput(options.database, options.cwd));
    if (!dialect.compiler.previewDatabase) throw e;
    return dialect.compiler.previewDatabase(null);
  }
}

/**
 * The migration generate writes names tables unqualified, so it changes the schema they resolve
 * to in a live session ({@link EngineSql.unqualifiedTarget}); when that is not the schema it
 * compared, applying it would change another schema than the one the user edited.
 */
async function refuseElsewhere(conn: Connection, schema: string | undefined): Promise<void> {
  const elsewhere = await conn.dialect.engine.unqualifiedTarget?.(conn, schema);
  if (!elsewhere) return;
  const { landsIn, compared } = elsewhere;
  throw new DbDoctorError(
    'SCHEMA_NOT_CURRENT',
    `On this database unqualified names resolve to schema "${landsIn}" (its search_path), not to "${compared}", the schema generate compared with the schema file: the migration would change "${landsIn}".`,
    {
      unchanged: 'No migration was written.',
      hint: `Pass --schema ${landsIn} to work on the schema migrations reach here, or make "${compared}" come first in the search_path (ALTER DATABASE/ROLE … SET search_path, or -c search_path=${compared} in the URL's options).`,
      details: { compared, landsIn },
    },
  );
}

function notExpressible(reasons: string[], file: string): DbDoctorError {
  return new DbDoctorError(
    'GENERATE_UNEXPRESSIBLE',
    `Cannot generate the migration to ${file}:\n${reasons.map((r) => `  - ${r}`).join('\n')}`,
    {
      unchanged: 'No migration was written.',
      hint: 'Write a migration for these changes by hand (`dbdoctor new <name>`), apply it, then run generate again for the rest.',
      details: { reasons },
    },
  );
}

function unverified(what: string, d: SchemaChange[], file: string): DbDoctorError {
  const lines = d.slice(0, 10).map((c) => `  - ${c.message}`);
  if (d.length > 10) lines.push(`  - ... and ${d.length - 10} more`);
  return new DbDoctorError(
    'GENERATE_UNVERIFIED',
    `The generated migration does not give ${what} when replayed, so it was not written:\n${lines.join('\n')}`,
    {
      unchanged: 'No migration was written.',
      hint: `These differences are what the generator could not express exactly; write this part by hand (\`dbdoctor new <name>\`), or change ${file} so it says what the database can hold.`,
      details: { differences: d },
    },
  );
}

/**
 * Generates (and, unless `write` is false, writes) the next migration: the difference between
 * the schema the migrations give and the desired schema file, as DSL operations where they
 * say it (portable, reversible) and the dialect's SQL where they do not. Verified by replay
 * before it is written; read-only for the database.
 */
export async function generateMigration(options: GenerateOptions): Promise<GenerateResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(options.name) || options.name.length > 200) {
    throw new DbDoctorError(
      'BAD_USAGE',
      `Migration name "${options.name}" must be 1 to 200 letters, digits, "_" or "-".`,
      { unchanged: 'No migration was written.', hint: 'Example: dbdoctor generate add_email_to_accounts' },
    );
  }
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  const schemaFile = path.resolve(
    options.cwd ?? process.cwd(),
    options.schemaFile ?? defaultSchemaFile(options),
  );
  refuseForeignLayout(dir, options);
  const historyTable = historyTableName(options.historyTable);
  // A project with no migrations folder yet starts from nothing; generate creates the folder.
  const files = fs.existsSync(dir) ? discoverMigrations(dir) : [];
  const conn = await openHost(options);
  try {
    const dialect = conn.dialect;
    const writer = schemaSqlOf(dialect);
    const historySchema = await dialect.engine.historySchema(conn, historyTable);
    const exclude = await notTheUsers(conn, historyTable, historySchema, options.ignore ?? []);
    const statementLockTimeoutMs = options.statementLockTimeoutMs ?? DEFAULT_STATEMENT_LOCK_TIMEOUT_MS;
    const expected = await expectedSchemas({
      conn,
      files,
      historyTable,
      exclude,
      schema: options.schema,
      // The doctor's cache, in the user's cache folder: never inside the project.
      cacheDir:
        options.cacheDir === undefined ? defaultCacheDir({ cwd: options.cwd, dir }) : options.cacheDir,
      statementLockTimeoutMs,
      onEvent: options.onEvent,
    });
    if (expected.failure) {
      throw new DbDoctorError('GENERATE_REPLAY_FAILED', expected.failure.message, {
        unchanged: 'No migration was written.',
        hint: expected.failure.hint,
        details: { id: expected.failure.id },
      });
    }
    const head = expected.schemaAt(expected.revisions.length - 1);
    const label = path.basename(schemaFile);
    // One scratch database holds the desired schema (a SQL file runs in it) and, when the
    // migration's down is verified there, the verification of its up too.
    const scratch = await dialect.createScratch(conn);
    let up: Operation[];
    let down: Operation[] | null;
    let irreversible: string[];
    let verifiedOn: GenerateResult['verifiedOn'];
    let base: GenerateResult;
    let desiredSchema: Schema;
    const id = nextId(files);
    try {
      const memo = new Map<string, unknown>();
      const read = await readSchemaFileInto(scratch.conn, schemaFile, { schema: options.schema, memo });
      const desired = { ...read, schema: settle(read.schema) };
      desiredSchema = desired.schema;
      const changes = diff(head, desired.schema, { a: 'the migrations', b: label }).changes;
      const fingerprints = { head: fingerprint(head), desired: fingerprint(desired.schema) };
      const renames = validateRenames(options.renames ?? [], head, desired.schema);
      const possibleRenames: RenameCandidate[] = [];
      // Tables first: the column candidates of a renamed table are read under its new name.
      for (const kind of ['table', 'column'] as const)
        for (const candidate of renameCandidates(head, desired.schema, renames, kind)) {
          if (overlaps(candidate, renames)) continue;
          if (options.confirmRename && (await options.confirmRename(candidate)))
            renames.push(candidate.rename);
          // Reported once per table or column: its most alike counterpart.
          else if (
            !overlaps(
              candidate,
              possibleRenames.map((p) => p.rename),
            )
          )
            possibleRenames.push(candidate);
        }
      base = {
        dialect: dialect.name,
        schemaFile,
        empty: true,
        id: null,
        file: null,
        code: null,
        up: [],
        down: null,
        irreversible: [],
        changes,
        renames,
        possibleRenames,
        lint: [],
        fingerprint: fingerprints,
        verifiedOn: null,
      };
      if (fingerprints.head === fingerprints.desired) return base;
      // Outside the default schema the migration names its schema first (the prologue, below);
      // in it, unqualified names follow the live search_path.
      if (writer.prepareScratch(options.schema).length === 0) await refuseElsewhere(conn, options.schema);

      const verification: Verification = {
        dialect,
        writer,
        head,
        desired,
        renames,
        fingerprints,
        label,
        schema: options.schema,
        historyTable,
        migrationFile: {
          id,
          name: options.name,
          stem: `${id}_${options.name}`,
          file: path.join(dir, `${id}_${options.name}.ts`),
          kind: 'module',
          checksum: '',
        },
        exec: { statementLockTimeoutMs, lockRetries: 0, before: files.at(-1)?.id ?? null },
      };
      const verified =
        (await verifyOnDesired(verification, scratch.conn, memo)) ??
        (await verifyByReplay(verification, conn, files));
      ({ up, down, irreversible, verifiedOn } = verified);
    } finally {
      await scratch.dispose();
    }
    const fingerprints = base.fingerprint;

    // The verification ran on empty tables: what the change does to rows is read from the schemas.
    const dataLoss = [
      ...dataLossFindings(head, desiredSchema, base.renames, writer, 'up'),
      ...(down ? dataLossFindings(desiredSchema, head, invertRenames(base.renames), writer, 'down') : []),
    ];
    // Read-only counts on the live database; nothing when it does not exist yet (a preview).
    const rejected = await rowsTheChangeRejects(conn, head, desiredSchema, base.renames, options.schema);
    const lint = [
      ...dataLoss,
      ...rejected,
      ...lintOperations(up, { dialect: dialect.name, rows: () => 1 }).filter(
        (f) => f.id === 'breaking-change' || f.id === 'not-null-without-default',
      ),
    ];
    const header = [
      `Generated by \`dbdoctor generate\` from ${label} (${dialect.name}), verified in a scratch database: up gives`,
      `the desired schema (fingerprint ${fingerprints.desired.slice(0, 12)}), ${down ? `down the previous one (${fingerprints.head.slice(0, 12)}).` : 'and there is no down:'}`,
      ...irreversible.map((r) => `  ${r}`),
      ...dataLoss.map((f) => f.message),
      ...(up.some((op) => op.kind === 'sql')
        ? [`sql() holds ${dialect.name} SQL for what the operations cannot say.`]
        : []),
    ];
    const text = migrationCode({ header, up, down });
    const result: GenerateResult = {
      ...base,
      empty: false,
      id,
      code: text,
      up,
      down,
      irreversible,
      lint,
      verifiedOn,
    };
    if (options.write === false) return result;
    const target = path.join(dir, `${id}_${options.name}.ts`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(target, text, { flag: 'wx' });
    } catch (e) {
      throw new DbDoctorError('CANNOT_WRITE_MIGRATION', `Cannot create ${target}: ${errorMessage(e)}`, {
        unchanged: 'No migration was written.',
        hint: 'Check that the migrations folder is writable, or pass another --dir.',
        details: { file: target, errno: (e as NodeJS.ErrnoException).code },
        cause: e,
      });
    }
    return { ...result, file: target };
  } catch (e) {
    throw isDbDoctorError(e) ? e : (conn.describeError(e) ?? e);
  } finally {
    await conn.close();
  }
}

/** What verifying a generated migration needs. */
interface Verification {
  dialect: Dialect;
  writer: SchemaSql;
  /** The schema at the migrations' head (the doctor's replay, cached) and the desired one. */
  head: Schema;
  desired: LoadedSchema & { inScratch: boolean };
  renames: Rename[];
  fingerprints: { head: string; desired: string };
  label: string;
  schema: string | undefined;
  historyTable: string;
  migrationFile: MigrationFile;
  exec: { statementLockTimeoutMs: number; lockRetries: number; before: string | null };
}

/** A migration verified by replay: up gives the desired schema; down (when not null) the head. */
interface Verified {
  up: Operation[];
  down: Operation[] | null;
  irreversible: string[];
  verifiedOn: 'schema-file' | 'replay';
}

/** Plans both directions; throws GENERATE_UNEXPRESSIBLE when up cannot be said. */
function plan(v: Verification, headSources: ObjectSources) {
  const forward = planMigration({
    from: v.head,
    to: v.desired.schema,
    renames: v.renames,
    sources: { from: headSources, to: v.desired.sources },
    writer: v.writer,
  });
  if (forward.unexpressed.length > 0) throw notExpressible(forward.unexpressed, v.label);
  // Outside the default schema, each direction first names it (the runner resets the path after).
  const prologue: Operation[] = v.writer.prepareScratch(v.schema).map((s) => ({ kind: 'sql', up: s }));
  const back = planMigration({
    from: v.desired.schema,
    to: v.head,
    renames: invertRenames(v.renames),
    sources: { from: v.desired.sources, to: headSources },
    writer: v.writer,
  });
  // Verified on empty tables, a down that adds a NOT NULL column without a default passes and
  // then fails on any table with rows: the column's values are gone, so there is no down.
  const irreversible = [
    ...back.unexpressed,
    ...notNullAddsWithoutDefault(v.desired.schema, v.head, invertRenames(v.renames)).map(
      (c) =>
        `down would add column ${c} back NOT NULL without a default, which fails on a table with rows (its values are gone with the up).`,
    ),
  ];
  return {
    up: [...prologue, ...forward.ops],
    down: irreversible.length === 0 ? [...prologue, ...back.ops] : null,
    irreversible,
  };
}

function loaded(v: Verification, up: Operation[], down: Operation[] | null): LoadedMigration {
  return {
    file: v.migrationFile,
    up: { kind: 'ops', ops: up, transaction: undefined },
    down: down ? { kind: 'ops', ops: down, transaction: undefined } : null,
  };
}

/**
 * Generate writes a dbdoctor TypeScript migration (`<id>_<name>.ts`), which only dbdoctor's
 * own layout reads: in another tool's folder (Prisma, Drizzle, Flyway, …) the file would be
 * a stray that stops every command, so it is refused before any work.
 */
function refuseForeignLayout(dir: string, options: GenerateOptions): void {
  if (options.write === false || !fs.existsSync(dir)) return;
  const format = options.format ? formatNamed(options.format) : detectFormat(dir);
  if (format.name === 'dbmate') return;
  throw new DbDoctorError(
    'GENERATE_FORMAT_UNSUPPORTED',
    `${dir} is laid out for ${format.name}, which cannot read the TypeScript migration generate writes.`,
    {
      unchanged: 'No migration was written.',
      hint: format.scaffold
        ? `Run \`dbdoctor diff\` to see the change, then write it as SQL in \`dbdoctor new ${options.name}\` (a ${format.name} migration); or keep dbdoctor's migrations in a folder of their own (--dir).`
        : `Run \`dbdoctor diff\` to see the change, then write it with ${format.name}'s own tool; or keep dbdoctor's migrations in a folder of their own (--dir).`,
      details: { format: format.name, dir },
    },
  );
}

/**
 * The database's own texts of the head's objects, where the desired schema has each of them
 * unchanged (the same object hash); null when an object the head has in another form (or
 * alone) may need one, which only a replay of the migrations can read.
 */
function headSourcesFromDesired(head: Schema, desired: LoadedSchema): ObjectSources | null {
  const headHashes = objectHashes(head);
  const desiredHashes = objectHashes(desired.schema);
  const sources: ObjectSources = {};
  for (const [key, hash] of Object.entries(headHashes)) {
    if (desiredHashes[key] === hash) {
      if (desired.sources[key] !== undefined) sources[key] = desired.sources[key];
    } else if (!key.startsWith('table:') && !key.startsWith('enum:')) return null;
  }
  return sources;
}

/**
 * The fast verification, on the database that holds the desired schema (no replay of the
 * migrations): the migration's down must give exactly the head's fingerprint there, and its up,
 * run on that head, exactly the desired one. Null when it cannot decide (no down, an object
 * whose text only the migrations hold, or a step that fails or misses): then
 * {@link verifyByReplay} decides, on the migrations replayed.
 */
async function verifyOnDesired(
  v: Verification,
  scratch: Connection,
  memo: Map<string, unknown>,
): Promise<Verified | null> {
  const headSources = headSourcesFromDesired(v.head, v.desired);
  if (!headSources) return null;
  const { up, down } = plan(v, headSources);
  if (!down) return null;
  const introspect = async () =>
    settle(
      await v.dialect.introspect(scratch, {
        schema: v.schema,
        exclude: [v.historyTable, `${v.historyTable}_lock`],
        memo,
      }),
    );
  if (!v.desired.inScratch) {
    // A TS schema file: the scratch database is given the desired schema as SQL first.
    const text = renderSchemaSql(v.desired.schema, v.desired.sources);
    const made = await loadSchemaInto(scratch, text, { file: v.label, schema: v.schema, memo }).catch(
      () => null,
    );
    if (!made || fingerprint(settle(made.schema)) !== v.fingerprints.desired) return null;
  }
  const history = new History(
    scratch,
    v.historyTable,
    await v.dialect.engine.historySchema(scratch, v.historyTable),
  );
  await history.ensure();
  const migration = loaded(v, up, down);
  try {
    await executeMigration(scratch, history, migration, 'down', { ...v.exec, before: v.migrationFile.id });
    if (fingerprint(await introspect()) !== v.fingerprints.head) return null;
    await executeMigration(scratch, history, migration, 'up', v.exec);
    if (fingerprint(await introspect()) !== v.fingerprints.desired) return null;
  } catch {
    return null;
  }
  return { up, down, irreversible: [], verifiedOn: 'schema-file' };
}

/**
 * The verification on the migrations replayed in a scratch database beside `conn`: up must
 * give exactly the desired fingerprint (else GENERATE_UNVERIFIED), and down, where there is
 * one, the head's again (else the migration has no down, and says why).
 */
async function verifyByReplay(
  v: Verification,
  conn: Connection,
  files: readonly MigrationFile[],
): Promise<Verified> {
  const scratch = await v.dialect.createScratch(conn);
  try {
    const history = new History(
      scratch.conn,
      v.historyTable,
      await v.dialect.engine.historySchema(scratch.conn, v.historyTable),
    );
    await history.ensure();
    for (const [index, f] of files.entries()) {
      await executeMigration(scratch.conn, history, await loadMigration(f, v.dialect), 'up', {
        ...v.exec,
        before: index > 0 ? files[index - 1].id : null,
      });
    }
    const headSources = await v.writer.readSources(scratch.conn, v.schema);
    const planned = plan(v, headSources);
    const { up } = planned;
    let { down, irreversible } = planned;
    const migration = loaded(v, up, down);
    const memo = new Map<string, unknown>();
    const introspect = async () =>
      settle(
        await v.dialect.introspect(scratch.conn, {
          schema: v.schema,
          exclude: [v.historyTable, `${v.historyTable}_lock`],
          memo,
        }),
      );
    try {
      await executeMigration(scratch.conn, history, migration, 'up', v.exec);
    } catch (e) {
      throw unverified(
        v.label,
        [{ kind: 'table_extra', table: null, name: '', message: `It fails: ${errorMessage(e)}` }],
        v.label,
      );
    }
    const reached = await introspect();
    if (fingerprint(reached) !== v.fingerprints.desired)
      throw unverified(
        v.label,
        diff(reached, v.desired.schema, { a: 'the migration', b: v.label }).changes,
        v.label,
      );
    if (down) {
      let back: Schema | null = null;
      try {
        await executeMigration(scratch.conn, history, migration, 'down', {
          ...v.exec,
          before: v.migrationFile.id,
        });
        back = await introspect();
      } catch (e) {
        irreversible = [`its down fails: ${errorMessage(e)}`];
      }
      if (back && fingerprint(back) !== v.fingerprints.head)
        irreversible = diff(back, v.head, { a: 'down', b: 'the migrations' }).changes.map(
          (c) => `down does not give the schema back: ${c.message}`,
        );
      if (irreversible.length > 0) down = null;
    }
    return { up, down, irreversible, verifiedOn: 'replay' };
  } finally {
    await scratch.dispose();
  }
}

/** When this process started generating: the scratch databases' frozen times are after it. */
const STARTED = Date.now();

/**
 * A scratch schema with the date/time constants PostgreSQL froze while generate ran (`DEFAULT
 * 'now'` reads as the moment it was created) spelled `'now'::<type>`, as the doctor's replay
 * spells them (see schema/frozen.ts): else the schema file and the migrations never agree,
 * and each generate writes the moment again.
 */
function settle(schema: Schema): Schema {
  return markFrozenTimes(schema, { from: STARTED, to: Date.now() });
}

/** A timestamp id later than every existing one. */
function nextId(files: readonly MigrationFile[]): string {
  let id = timestampId(new Date());
  while (files.some((f) => f.id >= id && f.id.length === id.length)) id = String(BigInt(id) + 1n);
  return id;
}
