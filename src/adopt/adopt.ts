import type { Connection } from '../dialects/dialect.js';
import { inTransaction } from '../dialects/open.js';
import { type DoctorOptions, type DoctorResult, doctor } from '../doctor/doctor.js';
import { DbDoctorError } from '../errors.js';
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
  /** What the tool recorded and dbdoctor did not adopt, and why. */
  notAdopted: { ref: string; state: ToolEntry['state']; id: string | null; reason: string }[];
  /** Files the tool never ran: `apply` runs them (`outOfOrder` ones need --allow-out-of-order). */
  pending: { id: string; name: string; outOfOrder: boolean }[];
  /** The revision dbdoctor's history is at afterwards. */
  revision: string | null;
  /** The doctor's verdict on the live schema, before anything was recorded. */
  verified: { revision: string | null; matches: { from: string; to: string } | null; drift: SchemaChange[] };
  /** The doctor's findings afterwards (with `dryRun`: before). */
  doctor: Pick<DoctorResult, 'ok' | 'findings'>;
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
      return { reader, display, entries, files, rows, dialect: conn.dialect.name, database: conn.display };
    },
    { mustExist: true },
  );

  const settled = new Set(plan.rows.filter(isSettled).map((r) => r.id));
  const adopted = new Map<string, { file: MigrationFile; ref: string; changed: boolean }>();
  const notAdopted: AdoptResult['notAdopted'] = [];
  const already = new Set<string>();
  for (const e of plan.entries) {
    const id = e.file?.id ?? null;
    if (e.state !== 'applied') {
      notAdopted.push({ ref: e.ref, state: e.state, id, reason: e.note ?? e.state });
    } else if (!e.file) {
      notAdopted.push({ ref: e.ref, state: e.state, id, reason: e.note ?? 'no migration file is this one' });
    } else if (e.file.repeatable && e.changed) {
      notAdopted.push({ ref: e.ref, state: e.state, id, reason: e.note ?? 'changed since it ran' });
    } else if (settled.has(e.file.id)) {
      already.add(e.file.id);
    } else if (plan.rows.some((r) => r.id === e.file!.id)) {
      notAdopted.push({
        ref: e.ref,
        state: e.state,
        id,
        reason: "dbdoctor's history has it partially applied: settle it with `dbdoctor resolve` first",
      });
    } else {
      adopted.set(e.file.id, { file: e.file, ref: e.ref, changed: e.changed === true });
    }
  }
  const revision = highestId([...adopted.keys(), ...already]);
  const taken = new Set([...adopted.keys(), ...already, ...settled]);
  const pending = plan.files
    .filter((f) => !taken.has(f.id))
    .map((f) => ({
      id: f.id,
      name: f.name,
      outOfOrder: !f.repeatable && revision !== null && compareIds(f.id, revision) < 0,
    }));

  // The doctor says which revisions the live schema is (the other tool's table left out).
  const before = await doctor({ ...options, fix: false });
  const range = before.matchesRange;
  const verified = { revision, matches: range, drift: before.drift };
  const matches =
    revision === null ||
    (range !== null && compareIds(range.from, revision) <= 0 && compareIds(revision, range.to) <= 0);
  const ordered = [...adopted.values()].sort((a, b) => compareIds(a.file.id, b.file.id));
  if (!matches) {
    throw new DbDoctorError(
      'ADOPT_SCHEMA_MISMATCH',
      `${plan.reader.tool} records the database at ${revision}, but the live schema is not the one the migrations make there (${range ? `it matches ${range.from === range.to ? range.to : `${range.from}..${range.to}`}` : `it matches no revision${before.nearest ? `; closest: ${before.nearest}` : ''}`}).`,
      {
        unchanged: `Nothing was recorded; ${plan.display} was only read.`,
        hint: `Run \`dbdoctor doctor\` for the differences table by table. Bring the schema in line (or fix the migration files), then adopt again; if you know better than the schema, \`dbdoctor stamp <id>\` records a revision by hand.`,
        details: {
          tool: plan.reader.tool,
          revision,
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
    // A dry run records nothing, so the doctor still finds no history: the plan is what counts.
    ok: notAdopted.length === 0 && (options.dryRun === true || after.ok),
    dryRun: options.dryRun === true,
    dialect: plan.dialect,
    database: plan.database,
    tool: plan.reader.tool,
    table: plan.display,
    adopted: ordered.map((a) => ({ id: a.file.id, name: a.file.name, ref: a.ref, changed: a.changed })),
    already: [...already].sort(compareIds),
    notAdopted,
    pending,
    revision: highestId([revision, ...settled]),
    verified,
    doctor: { ok: after.ok, findings: after.findings },
  };
}
