import path from 'node:path';
import type { Connection } from '../dialects/dialect.js';
import { DbDoctorError } from '../errors.js';
import { hasKnexShape, KNEX_REASON } from '../formats/knex.js';
import { compareIds, idKey, type MigrationFile } from '../migrations/files.js';

/** The migration tools whose history `adopt` reads. */
export const ADOPT_TOOLS = [
  'dbmate',
  'golang-migrate',
  'prisma',
  'drizzle',
  'flyway',
  'goose',
  'sqlx',
  'diesel',
  'knex',
  'alembic',
] as const;
export type AdoptTool = (typeof ADOPT_TOOLS)[number];

/** What another tool's history says of one of its migrations. */
export interface ToolEntry {
  /** The tool's own name for it (version, folder name, hash, file name), as shown to people. */
  ref: string;
  /** `applied`: in the database; `failed` and `rolled-back`: not, or only partly. */
  state: 'applied' | 'failed' | 'rolled-back';
  /** The file it is, when found. */
  file: MigrationFile | null;
  /** The tool recorded a checksum that differs from the file's now (edited since it ran). */
  changed?: boolean;
  /** Why it is not adopted, or a remark. */
  note?: string;
}

/** How `adopt` reads one tool's history table. */
export interface ToolReader {
  tool: AdoptTool;
  /** The table, as each tool names it (schema-qualified candidates first). */
  tables: readonly string[][];
  /** Tells this tool's table from another tool's of the same name (dbmate vs golang-migrate). */
  owns?(columns: readonly string[]): boolean;
  read(
    conn: Connection,
    table: string,
    files: readonly MigrationFile[],
    map: ReadonlyMap<string, string>,
  ): Promise<ToolEntry[]>;
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't' || v === 'true' || v === 1n;
const byId = (files: readonly MigrationFile[], id: string) =>
  files.find((f) => !f.repeatable && /^\d/.test(id) && idKey(f.id) === idKey(id)) ?? null;
const hex = (v: unknown) =>
  Buffer.isBuffer(v)
    ? v.toString('hex')
    : v instanceof Uint8Array
      ? Buffer.from(v).toString('hex')
      : String(v);

/** A whole number as digits (a bigint column comes as a string, a numeric one as a number), or null. */
function wholeNumber(v: unknown): string | null {
  if (v == null) return null;
  const m = /^(-?\d+)(?:\.0*)?$/.exec(String(v).trim());
  return m ? String(BigInt(m[1]!)) : String(v);
}

/** Every file up to and including `id` (golang-migrate and Alembic keep only where they are). */
function upTo(files: readonly MigrationFile[], id: string, inclusive: boolean): MigrationFile[] {
  return files.filter(
    (f) => !f.repeatable && (inclusive ? compareIds(f.id, id) <= 0 : compareIds(f.id, id) < 0),
  );
}

/** The tools' history tables and what each row means, from each tool's documentation and source. */
export const READERS: readonly ToolReader[] = [
  {
    // dbmate: schema_migrations(version varchar(128) primary key), one row per applied migration.
    tool: 'dbmate',
    tables: [['schema_migrations']],
    owns: (cols) => !cols.includes('dirty'),
    async read(conn, table, files) {
      const rows = await conn.query<{ version: unknown }>(`SELECT version FROM ${table}`);
      return rows.map((r) => {
        const ref = String(r.version);
        return { ref, state: 'applied', file: byId(files, ref) };
      });
    },
  },
  {
    // golang-migrate: schema_migrations(version bigint, dirty boolean), one row: where it is.
    tool: 'golang-migrate',
    tables: [['schema_migrations']],
    owns: (cols) => cols.includes('dirty'),
    async read(conn, table, files) {
      const rows = await conn.query<{ version: unknown; dirty: unknown }>(
        `SELECT version, dirty FROM ${table}`,
      );
      const out: ToolEntry[] = [];
      for (const r of rows) {
        const version = String(r.version);
        const dirty = truthy(r.dirty);
        for (const f of upTo(files, version, !dirty)) out.push({ ref: f.id, state: 'applied', file: f });
        if (dirty)
          out.push({
            ref: version,
            state: 'failed',
            file: byId(files, version),
            note: 'dirty: it failed part-way, so its changes may be half there',
          });
        else if (!byId(files, version) && version !== '-1' && version !== '0')
          out.push({ ref: version, state: 'applied', file: null });
      }
      return out;
    },
  },
  {
    // Prisma: _prisma_migrations(migration_name, checksum sha256, finished_at, rolled_back_at, …);
    // a row finished and not rolled back is applied; a failed one has finished_at NULL.
    tool: 'prisma',
    tables: [['_prisma_migrations']],
    async read(conn, table, files) {
      const rows = await conn.query<Record<string, unknown>>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM ${table} ORDER BY started_at`,
      );
      const latest = new Map<string, ToolEntry>();
      for (const r of rows) {
        const ref = String(r.migration_name);
        const file = files.find((f) => f.stem === ref) ?? null;
        const entry: ToolEntry =
          r.rolled_back_at != null
            ? {
                ref,
                state: 'rolled-back',
                file,
                note: 'marked rolled back (prisma migrate resolve --rolled-back)',
              }
            : r.finished_at == null
              ? { ref, state: 'failed', file, note: 'started and never finished: it failed' }
              : {
                  ref,
                  state: 'applied',
                  file,
                  changed: file?.toolChecksum !== undefined && file.toolChecksum !== String(r.checksum),
                };
        // A later successful row (re-applied after a rollback) settles it.
        if (latest.get(ref)?.state !== 'applied' || entry.state === 'applied') latest.set(ref, entry);
      }
      return [...latest.values()];
    },
  },
  {
    // Drizzle: __drizzle_migrations(id, hash sha256 of the file, created_at = journal `when`),
    // in schema "drizzle" on PostgreSQL. Drizzle's migrator decides what ran by created_at
    // (it runs the journal entries newer than the latest row), never by hash: a row is the
    // file with that `when`, and a hash that differs means the file was edited since.
    tool: 'drizzle',
    tables: [['drizzle', '__drizzle_migrations'], ['__drizzle_migrations']],
    async read(conn, table, files) {
      const rows = await conn.query<{ hash: unknown; created_at: unknown }>(
        `SELECT hash, created_at FROM ${table} ORDER BY created_at`,
      );
      return rows.map((r) => {
        const hash = String(r.hash);
        const when = wholeNumber(r.created_at);
        const file =
          (when !== null ? files.find((f) => f.toolKey === when) : undefined) ??
          files.find((f) => f.toolChecksum === hash) ??
          null;
        if (file)
          return {
            ref: file.stem,
            state: 'applied' as const,
            file,
            changed: file.toolChecksum !== undefined && file.toolChecksum !== hash,
          };
        return {
          ref: `created_at ${when ?? 'NULL'} (hash ${hash.slice(0, 12)}…)`,
          state: 'applied' as const,
          file: null,
          note: "no journal entry has this created_at (`when`) and no file this hash: removed from drizzle's journal, or not this project's",
        };
      });
    },
  },
  {
    // Flyway: flyway_schema_history(installed_rank, version, description, type, script, checksum,
    // success, …). The latest row of a version says where it is; BASELINE covers every version up
    // to it; UNDO_SQL undid it; a repeatable (version NULL) counts at its latest checksum.
    tool: 'flyway',
    tables: [['flyway_schema_history'], ['schema_version']],
    async read(conn, table, files) {
      const rows = await conn.query<Record<string, unknown>>(
        `SELECT version, description, type, checksum, success FROM ${table} ORDER BY installed_rank`,
      );
      const versions = new Map<string, ToolEntry>();
      const repeatables = new Map<string, { checksum: string; ok: boolean }>();
      for (const r of rows) {
        const type = String(r.type);
        if (type === 'SCHEMA' || type === 'DELETE') continue;
        if (r.version == null) {
          repeatables.set(String(r.description), { checksum: String(r.checksum), ok: truthy(r.success) });
          continue;
        }
        const version = String(r.version).replace(/_/g, '.');
        if (type === 'BASELINE') {
          for (const f of upTo(files, version, true))
            versions.set(f.id, {
              ref: f.id,
              state: 'applied',
              file: f,
              note: `below the baseline ${version}`,
            });
          continue;
        }
        const file = files.find((f) => !f.repeatable && compareIds(f.id, version) === 0) ?? null;
        if (type.startsWith('UNDO')) versions.delete(file?.id ?? version);
        else if (!truthy(r.success))
          versions.set(file?.id ?? version, { ref: version, state: 'failed', file, note: 'success = false' });
        else
          versions.set(file?.id ?? version, {
            ref: version,
            state: 'applied',
            file,
            changed:
              file?.toolChecksum !== undefined &&
              r.checksum != null &&
              file.toolChecksum !== String(r.checksum),
          });
      }
      const out = [...versions.values()];
      for (const [description, row] of repeatables) {
        const file = files.find((f) => f.repeatable && f.name.replace(/_/g, ' ') === description) ?? null;
        if (!row.ok) out.push({ ref: `R__${description}`, state: 'failed', file, note: 'success = false' });
        else if (file && file.toolChecksum !== row.checksum)
          out.push({
            ref: file.id,
            state: 'applied',
            file,
            changed: true,
            note: 'changed since Flyway ran it: apply runs it again',
          });
        else out.push({ ref: file?.id ?? `R__${description}`, state: 'applied', file });
      }
      return out;
    },
  },
  {
    // goose: goose_db_version(id, version_id, is_applied, tstamp); the latest row of a version
    // says where it is, and version 0 is goose's own first row.
    tool: 'goose',
    tables: [['goose_db_version']],
    async read(conn, table, files) {
      const rows = await conn.query<{ version_id: unknown; is_applied: unknown }>(
        `SELECT version_id, is_applied FROM ${table} ORDER BY id`,
      );
      const latest = new Map<string, boolean>();
      for (const r of rows) latest.set(String(r.version_id), truthy(r.is_applied));
      const out: ToolEntry[] = [];
      for (const [version, applied] of latest) {
        if (version === '0' || !applied) continue;
        out.push({ ref: version, state: 'applied', file: byId(files, version) });
      }
      return out;
    },
  },
  {
    // sqlx: _sqlx_migrations(version, description, success, checksum SHA-384, …).
    tool: 'sqlx',
    tables: [['_sqlx_migrations']],
    async read(conn, table, files) {
      const rows = await conn.query<Record<string, unknown>>(
        `SELECT version, success, checksum FROM ${table} ORDER BY version`,
      );
      return rows.map((r) => {
        const ref = String(r.version);
        const file = byId(files, ref);
        if (!truthy(r.success))
          return { ref, state: 'failed' as const, file, note: 'success = false: it failed part-way' };
        return {
          ref,
          state: 'applied' as const,
          file,
          changed: file?.toolChecksum !== undefined && file.toolChecksum !== hex(r.checksum),
        };
      });
    },
  },
  {
    // Diesel: __diesel_schema_migrations(version varchar(50) primary key, run_on).
    tool: 'diesel',
    tables: [['__diesel_schema_migrations']],
    async read(conn, table, files) {
      const rows = await conn.query<{ version: unknown }>(`SELECT version FROM ${table}`);
      return rows.map((r) => ({
        ref: String(r.version),
        state: 'applied' as const,
        file: byId(files, String(r.version)),
      }));
    },
  },
  {
    // Knex: knex_migrations(id, name = the file name, batch, migration_time). The files are
    // JavaScript; once rewritten for dbdoctor they keep their <id>_<name> stem.
    tool: 'knex',
    tables: [['knex_migrations']],
    async read(conn, table, files, map) {
      const rows = await conn.query<{ name: unknown }>(`SELECT name FROM ${table} ORDER BY id`);
      const entries = rows.map((r) => {
        const ref = String(r.name);
        const stem = ref.replace(/\.[cm]?[jt]s$/, '');
        const mapped = map.get(ref) ?? map.get(stem);
        const file =
          files.find((f) => (mapped ? f.id === mapped || f.stem === mapped : f.stem === stem)) ?? null;
        return { ref, state: 'applied' as const, file };
      });
      // knex_migrations says Knex ran a file of exactly this name; with Knex's shape (a named
      // `up`, no default export) it is still that file, not a rewrite: it cannot be adopted.
      const knexOwn = entries.filter(
        (e) => e.file?.kind === 'module' && path.basename(e.file.file) === e.ref && hasKnexShape(e.file.file),
      );
      if (knexOwn.length > 0) {
        const list = knexOwn.map((e) => `  - ${e.ref}`).join('\n');
        throw new DbDoctorError(
          'UNCOVERED_MIGRATION_FILE',
          `${knexOwn.length === 1 ? 'A file' : `${knexOwn.length} files`} that ${table} records as run by Knex ${knexOwn.length === 1 ? 'is' : 'are'} still Knex's own migration, which dbdoctor does not run:\n${list}`,
          {
            unchanged: 'Nothing was recorded; the database was only read.',
            hint: `Each is ${KNEX_REASON}.`,
            details: {
              format: 'knex',
              uncovered: knexOwn.map((e) => ({ path: e.ref, reason: KNEX_REASON })),
            },
          },
        );
      }
      return entries;
    },
  },
  {
    // Alembic: alembic_version(version_num), one row per head. Revision ids are Alembic's own
    // (hashes): `--map <revision>=<id>` says which dbdoctor migration each head is.
    tool: 'alembic',
    tables: [['alembic_version']],
    async read(conn, table, files, map) {
      const rows = await conn.query<{ version_num: unknown }>(`SELECT version_num FROM ${table}`);
      const out: ToolEntry[] = [];
      for (const r of rows) {
        const ref = String(r.version_num);
        const mapped = map.get(ref);
        const head = mapped ? (files.find((f) => f.id === mapped || f.stem === mapped) ?? null) : null;
        if (!head) {
          out.push({
            ref,
            state: 'applied',
            file: null,
            note: mapped ? `--map names ${mapped}, which no file has` : `unmapped: pass --map ${ref}=<id>`,
          });
          continue;
        }
        for (const f of upTo(files, head.id, true))
          out.push({ ref: f.id === head.id ? ref : f.id, state: 'applied', file: f });
      }
      return out;
    },
  },
];
