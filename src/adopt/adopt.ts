import path from 'node:path';
import type { Connection } from '../dialects/dialect.js';
import { inTransaction } from '../dialects/open.js';
import { type DoctorOptions, type DoctorResult, doctor } from '../doctor/doctor.js';
import { DbDoctorError } from '../errors.js';
import { FORMAT_NAMES, formatNamed } from '../formats/index.js';
import { usingSession, withLock } from '../migrations/engine.js';
import { compareIds, highestId, type MigrationFile } from '../migrations/files.js';
import { isSettled } from '../migrations/history.js';
import type { SchemaChange } from '../schema/diff.js';
import { ADOPT_TOOLS, type AdoptTool, READERS, type ToolEntry, type ToolReader } from './tools.js';

/** Options of {@link adopt}. */
export interface AdoptOptions extends DoctorOptions {
  /** The tool whose history to read, when the database has several tools' tables. */
  from?: AdoptTool;
  /** The other tool's revision ids mapped to dbdoctor ids (Alembic heads, renamed Knex files). */
  map?: Record<string, string>;
  /** Show the plan and verify it; record nothing. */
  dryRun?: boolean;
}

/** What {@link adopt} did (or, with `dryRun`, would do): the `adopt --json` contract. */
export interface AdoptResult {
  /** False when something the tool recorded was not adopted, or the doctor still finds an error. */
  ok: boolean;
  dryRun: boolean;
  dialect: string;
  /** The database, as shown to people (no password). */
  database: string;
  tool: AdoptTool;
  /** The other tool's history table (left untouched). */
  table: string;
  /** Migrations recorded in dbdoctor's history (with `dryRun`: that would be). */
  adopted: { id: string; name: string; ref: string; changed: boolean }[];
  /** Migrations dbdoctor's history already had. */
  already: string[];
  /**
   * What the tool recorded and dbdoctor did not adopt, and why; `needsAction` when it makes
   * adopt fail (a failed migration no one settled, a record no file matches before the
   * takeover), false when it is only reported (rolled back, settled in dbdoctor's history since).
   */
  notAdopted: {
    ref: string;
    state: ToolEntry['state'];
    id: string | null;
    reason: string;
    needsAction: boolean;
  }[];
  /** Remarks: why records match no file (the wrong folder), … */
  notes: string[];
  /** Files the tool never ran: `apply` runs them (`outOfOrder` ones need --allow-out-of-order). */
  pending: { id: string; name: string; outOfOrder: boolean }[];
  /** The revision dbdoctor's history is at afterwards. */
  revision: string | null;
  /** The doctor's verdict on the live schema, before anything was recorded. */
  verified: { revision: string | null; matches: { from: string; to: string } | null; drift: SchemaChange[] };
  /** The doctor's findings afterwards (with `dryRun`: before). */
  doctor: Pick<DoctorResult, 'ok' | 'findings'>;
}

/** Whether `id` is a repeatable's (it has no place in the order of versions). */
function isRepeatable(files: readonly MigrationFile[], id: string): boolean {
  return files.some((f) => f.id === id && f.repeatable === true);
}

interface Found {
  reader: ToolReader;
  /** The quoted (qualified) table name. */
  table: string;
  display: string;
}

/** Whether `sql` runs: a table or column that is not there fails it. Autocommit: no transaction to spoil. */
async function runs(conn: Connection, sql: string): Promise<boolean> {
  try {
    await conn.query(sql);
    return true;
  } catch {
    return false;
  }
}

/** The other tools' history tables this database has (of `from` only, when given). */
async function findTools(conn: Connection, from: AdoptTool | undefined): Promise<Found[]> {
  const q = conn.dialect.quoteIdent;
  const found: Found[] = [];
  for (const reader of READERS) {
    if (from !== undefined && reader.tool !== from) continue;
    for (const parts of reader.tables) {
      const table = parts.map(q).join('.');
      if (!(await runs(conn, `SELECT 1 FROM ${table} WHERE 1 = 0`))) continue;
      // dbmate's and golang-migrate's tables share a name: golang-migrate's has `dirty`.
      if (reader.tool === 'dbmate' && (await runs(conn, `SELECT dirty FROM ${table} WHERE 1 = 0`))) break;
      if (reader.tool === 'golang-migrate' && !(await runs(conn, `SELECT dirty FROM ${table} WHERE 1 = 0`)))
        break;
      found.push({ reader, table, display: parts.join('.') });
      break;
    }
  }
  return found;
}

/**
 * Takes over another migration tool's history: reads its table (dbmate, golang-migrate,
 * Prisma, Drizzle, Flyway, goose, sqlx, Diesel, Knex, Alembic through `map`), matches what it
 * applied to the migration files, has the doctor check that the live schema is the one those
 * migrations make, and records them in dbdoctor's history as stamped (run by the other tool).
 * Failed and rolled-back entries are reported, never adopted. The other tool's table is only
 * read, and the doctor and `schema` leave it out from then on. Refuses (ADOPT_SCHEMA_MISMATCH,
 * nothing recorded) when the schema does not match.
 */
export async function adopt(options: AdoptOptions): Promise<AdoptResult> {
  const map = new Map(Object.entries(options.map ?? {}));
  const plan = await usingSession(
    options,
    async (session) => {
      const { conn, files } = session;
      const found = await findTools(conn, options.from);
      if (found.length === 0) {
        throw new DbDoctorError(
          'ADOPT_NOTHING_FOUND',
          options.from
            ? `The database has no ${options.from} history table (${READERS.filter(
                (r) => r.tool === options.from,
              )
                .flatMap((r) => r.tables.map((t) => t.join('.')))
                .join(' or ')}).`
            : `The database has none of the history tables adopt reads (${ADOPT_TOOLS.join(', ')}).`,
          {
            unchanged: 'Nothing was recorded.',
            hint: 'Check --url names the database the other tool migrated. A database no tool recorded can be stamped by the doctor: dbdoctor doctor --fix.',
          },
        );
      }
      if (found.length > 1) {
        throw new DbDoctorError(
          'ADOPT_AMBIGUOUS',
          `The database has the history tables of ${found.map((f) => `${f.reader.tool} (${f.display})`).join(' and ')}.`,
          {
            unchanged: 'Nothing was recorded.',
            hint: `Say which tool migrated it: --from ${found.map((f) => f.reader.tool).join(' or --from ')}.`,
            details: { tools: found.map((f) => f.reader.tool) },
          },
        );
      }
      const { reader, table, display } = found[0]!;
      const entries = await reader.read(conn, table, files, map);
      const rows = (await session.history.read()) ?? [];
      return {
        reader,
        display,
        entries,
        files,
        rows,
        dialect: conn.dialect.name,
        database: conn.display,
        format: session.format,
        dir:
          path.relative(
            process.cwd(),
            path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'),
          ) || '.',
      };
    },
    { mustExist: true },
  );

  const settled = new Set(plan.rows.filter(isSettled).map((r) => r.id));
  // The takeover happened before (dbdoctor's history holds revisions): adopt only reports then.
  const takenOver = settled.size > 0;
  const adopted = new Map<string, { file: MigrationFile; ref: string; changed: boolean }>();
  const notAdopted: AdoptResult['notAdopted'] = [];
  const already = new Set<string>();
  const skip = (e: ToolEntry, reason: string, needsAction: boolean) =>
    notAdopted.push({ ref: e.ref, state: e.state, id: e.file?.id ?? null, reason, needsAction });
  for (const e of plan.entries) {
    const inHistory = e.file !== null && settled.has(e.file.id);
    if (e.state === 'rolled-back') {
      // Declared not applied: the migration is pending (or dbdoctor ran it since).
      skip(
        e,
        `${e.note ?? 'rolled back'}: not adopted; ${inHistory ? "dbdoctor's history has it since" : 'dbdoctor apply runs it'}`,
        false,
      );
    } else if (e.state === 'failed') {
      skip(
        e,
        inHistory
          ? `${e.note ?? 'failed'}; dbdoctor's history has it since`
          : `${e.note ?? 'failed'}: not adopted. Check which of its changes are in the database, then record it with \`dbdoctor stamp ${e.file?.id ?? '<id>'}\` if they all are, or undo them and let \`dbdoctor apply\` run it`,
        !inHistory,
      );
    } else if (!e.file) {
      skip(e, e.note ?? 'no migration file is this one', !takenOver);
    } else if (e.file.repeatable && e.changed) {
      skip(e, e.note ?? 'changed since it ran', !takenOver);
    } else if (inHistory) {
      already.add(e.file.id);
    } else if (plan.rows.some((r) => r.id === e.file!.id)) {
      skip(e, "dbdoctor's history has it partially applied: settle it with `dbdoctor resolve` first", true);
    } else {
      adopted.set(e.file.id, { file: e.file, ref: e.ref, changed: e.changed === true });
    }
  }
  const notes: string[] = [];
  const fileless = plan.entries.filter((e) => e.state === 'applied' && !e.file).length;
  const layout = (FORMAT_NAMES as readonly string[]).includes(plan.reader.tool)
    ? formatNamed(plan.reader.tool)
    : null;
  if (fileless > 0 && layout && plan.format !== layout.name) {
    notes.push(
      `${fileless} of ${plan.reader.tool}'s records match no file: the migrations folder ${plan.dir} is read as ${plan.format}${plan.files.length === 0 ? ' and is empty' : ''}; ${plan.reader.tool} keeps its migrations in ${layout.defaultDirs[0]}: pass --dir ${layout.defaultDirs[0]} (or set "dir" in dbdoctor.config.json)`,
    );
  }
  const taken = new Set([...adopted.keys(), ...already, ...settled]);
  const revision = highestId([...adopted.keys(), ...already].filter((id) => !isRepeatable(plan.files, id)));
  const pending = plan.files
    .filter((f) => !taken.has(f.id))
    .map((f) => ({
      id: f.id,
      name: f.name,
      outOfOrder: !f.repeatable && revision !== null && compareIds(f.id, revision) < 0,
    }));

  // The doctor says whether the live schema (the other tool's table left out) is the one the
  // migrations make once the plan is recorded on top of dbdoctor's history.
  const ordered = [...adopted.values()].sort((a, b) => compareIds(a.file.id, b.file.id));
  const before = await doctor({ ...options, fix: false, assumeApplied: ordered.map((a) => a.file.id) });
  const range = before.matchesRange;
  const verified = { revision: before.revision, matches: range, drift: before.drift };
  // Nothing to record: nothing to verify (dbdoctor's history, ahead or not, is the doctor's business).
  const matches = ordered.length === 0 || before.recordedMatches === true;
  const unsettled = notAdopted.filter((n) => n.needsAction && n.state === 'failed');
  if (!matches && unsettled.length > 0) {
    // A migration that failed part-way leaves a schema no revision may describe: that is the
    // news, whatever the schema matches.
    const failed = unsettled[0]!;
    const seen = range
      ? `matches ${range.from === range.to ? range.to : `${range.from}..${range.to}`}`
      : 'matches no revision';
    const complete =
      failed.id !== null &&
      range !== null &&
      compareIds(range.from, failed.id) <= 0 &&
      compareIds(failed.id, range.to) <= 0;
    throw new DbDoctorError(
      'ADOPT_FAILED_MIGRATION',
      `${plan.reader.tool} records ${unsettled.map((n) => `${n.ref} as failed (${plan.entries.find((e) => e.ref === n.ref)?.note ?? 'failed'})`).join(', ')}; the live schema ${seen}, not the one of what it records as done.`,
      {
        unchanged: `Nothing was recorded; ${plan.display} was only read.`,
        hint: complete
          ? `The schema looks as if ${failed.id} finished. Verify its changes (data too), then \`dbdoctor stamp ${failed.id}\` records it and everything before it; \`dbdoctor adopt\` then has nothing left to do.`
          : `Finish ${failed.id ?? failed.ref} by hand or undo what of it ran, until \`dbdoctor doctor\` finds the schema at a revision; then \`dbdoctor stamp <that revision>\` (or \`dbdoctor adopt\` again if it is the one before ${failed.ref}).`,
        details: { tool: plan.reader.tool, failed: unsettled, matches: range, drift: before.drift },
      },
    );
  }
  if (!matches) {
    const at = before.revision ?? 'base';
    throw new DbDoctorError(
      'ADOPT_SCHEMA_MISMATCH',
      `${plan.reader.tool} records the database at ${at}${takenOver ? ` (with dbdoctor's own history)` : ''}, but the live schema is not the one the migrations make there (${range ? `it matches ${range.from === range.to ? range.to : `${range.from}..${range.to}`}` : `it matches no revision${before.nearest ? `; closest: ${before.nearest}` : ''}`}).`,
      {
        unchanged: `Nothing was recorded; ${plan.display} was only read.`,
        hint: `Run \`dbdoctor doctor\` for the differences table by table. Bring the schema in line (or fix the migration files), then adopt again; if you know better than the schema, \`dbdoctor stamp <id>\` records a revision by hand.`,
        details: {
          tool: plan.reader.tool,
          revision: before.revision,
          matches: range,
          drift: before.drift,
          adopted: ordered.map((a) => a.file.id),
        },
      },
    );
  }
  let after: DoctorResult = before;
  if (!options.dryRun && ordered.length > 0) {
    await usingSession(
      options,
      (session) =>
        withLock(session.lock, session.options, () =>
          inTransaction(session.conn, async () => {
            for (const { file } of ordered) {
              await session.history.insert({
                id: file.id,
                name: file.name,
                checksum: file.checksum,
                status: 'stamped',
                executionMs: 0,
                statementsDone: 0,
                statementsTotal: 0,
              });
            }
          }),
        ),
      { mustExist: true },
    );
    after = await doctor({ ...options, fix: false });
  }
  return {
    // A dry run records nothing: the plan, verified by the doctor as if recorded, is what counts.
    // With nothing to record, adopt did its part: the doctor's findings are reported, not adopt's failure.
    ok:
      !notAdopted.some((n) => n.needsAction) && (options.dryRun === true || ordered.length === 0 || after.ok),
    dryRun: options.dryRun === true,
    dialect: plan.dialect,
    database: plan.database,
    tool: plan.reader.tool,
    table: plan.display,
    adopted: ordered.map((a) => ({ id: a.file.id, name: a.file.name, ref: a.ref, changed: a.changed })),
    already: [...already].sort(compareIds),
    notAdopted,
    pending,
    revision: options.dryRun ? before.revision : after.revision,
    notes,
    verified,
    doctor: { ok: after.ok, findings: after.findings },
  };
}
