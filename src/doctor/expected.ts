import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Connection, ScratchOptions, SkippedStatement } from '../dialects/dialect.js';
import { maskedSql } from '../dialects/registry.js';
import { errorMessage, isDbDoctorError } from '../errors.js';
import type { EventListener } from '../migrations/events.js';
import { executeMigration } from '../migrations/execute.js';
import type { MigrationFile } from '../migrations/files.js';
import { History } from '../migrations/history.js';
import { loadMigration } from '../migrations/load.js';
import {
  FINGERPRINT_VERSION,
  fingerprintOfHashes,
  type ObjectKey,
  objectHashes,
} from '../schema/fingerprint.js';
import { expressionsOf, hasFrozenTime, markFrozenTimes } from '../schema/frozen.js';
import {
  type EnumType,
  emptySchema,
  type SchemaObject as OtherObject,
  putObject,
  type Schema,
  type Table,
  type Trigger,
  type View,
} from '../schema/model.js';

/** The expected schema after one migration, as object hashes relative to the one before. */
export interface RevisionSnapshot {
  id: string;
  fingerprint: string;
  /** Objects whose hash changed with this migration (null = the object was removed). */
  changed: Record<ObjectKey, string | null>;
}

/** One object of the model, as the expected schemas store it. */
export type SchemaObject = Table | EnumType | View | Trigger | OtherObject;

/** A statement the replay did not run (see {@link ScratchOptions.isolated}). */
export interface ReplaySkip extends SkippedStatement {
  /** The migration it belongs to. */
  id: string;
}

/** The migration whose replay failed: the revisions before it are known, none after. */
export interface ReplayFailure {
  id: string;
  /** Its index in the files. */
  index: number;
  message: string;
  hint: string;
}

/** The expected schema at every revision of a project. */
export class ExpectedSchemas {
  constructor(
    readonly dialect: Schema['dialect'],
    /**
     * One snapshot per migration file, in file order; when the replay failed, only those
     * before the failing migration.
     */
    readonly revisions: RevisionSnapshot[],
    private readonly objects: Record<string, SchemaObject>,
    /** True when nothing had to be replayed. */
    readonly fromCache: boolean,
    /** Statements the replay skipped, in order. */
    readonly skipped: ReplaySkip[] = [],
    /** The migration that could not be replayed, or null. */
    readonly failure: ReplayFailure | null = null,
    /** What killed doctors left (scratch databases, accounts), removed before this replay. */
    readonly removedLeftovers: string[] = [],
    /** How the replay was kept inside its scratch database, in words, where the dialect says. */
    readonly confinement: string | null = null,
  ) {}

  /** Object hashes of the schema after revision `index` (-1 = the empty base). */
  hashesAt(index: number): Record<ObjectKey, string> {
    const hashes: Record<ObjectKey, string> = {};
    for (let i = 0; i <= index; i++) {
      for (const [key, hash] of Object.entries(this.revisions[i].changed)) {
        if (hash === null) delete hashes[key];
        else hashes[key] = hash;
      }
    }
    return hashes;
  }

  /** The full model after revision `index` (-1 = the empty base). */
  schemaAt(index: number): Schema {
    const schema = emptySchema(this.dialect);
    for (const [key, hash] of Object.entries(this.hashesAt(index)))
      placeObject(schema, key, this.objects[hash]);
    return schema;
  }

  /** The object an expected hash stands for. */
  objectOfHash(hash: string): SchemaObject | undefined {
    return this.objects[hash];
  }

  /**
   * Every expression of any revision that holds a time frozen at creation (`'now'::date`),
   * for {@link adoptFrozenTimes}.
   */
  frozenExpressions(): Set<string> {
    const out = new Set<string>();
    for (const [key, object] of Object.entries(this.objects)) {
      if ('columns' in object || 'definition' in object) {
        const schema = emptySchema(this.dialect);
        if ('columns' in object) schema.tables[key] = object;
        else if ('table' in object) schema.triggers[key] = object;
        else schema.views[key] = object;
        for (const e of expressionsOf(schema)) if (hasFrozenTime(e)) out.add(e);
      }
    }
    return out;
  }

  /** Index of the revision with this id, or -1. */
  indexOf(id: string): number {
    return this.revisions.findIndex((r) => r.id === id);
  }
}

/** What {@link expectedSchemas} needs. */
export interface ExpectedSchemasOptions {
  /** The live database: the scratch database is created beside it. */
  conn: Connection;
  files: MigrationFile[];
  historyTable: string;
  /** Tables left out of every expected schema, as of the live one (names or globs). */
  exclude: string[];
  /** PostgreSQL schema the migrations create their objects in. */
  schema?: string;
  /**
   * A connection to a server of its own for the scratch database (`--scratch-url`): the
   * replay may then run statements that reach beyond the scratch database. Default: the
   * live server, where such statements are skipped.
   */
  scratchServer?: Connection;
  /** Folder for the cache; false to neither read nor write it. */
  cacheDir: string | false;
  statementLockTimeoutMs: number;
  onEvent?: EventListener;
}

const CACHE_FORMAT = 3;

interface CacheFile {
  format: number;
  environment: string;
  chain: string;
  revisions: RevisionSnapshot[];
  objects: Record<string, SchemaObject>;
  skipped: ReplaySkip[];
  confinement: string | null;
}

/**
 * A key for the whole chain of migrations: it changes when any file is added, removed,
 * renamed or edited, so a cached replay is used only for exactly the same project.
 */
function chainKey(files: readonly MigrationFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.id}\0${f.name}\0${f.checksum}\n`);
  return h.digest('hex');
}

function cachePath(cacheDir: string, dialect: string): string {
  return path.join(cacheDir, `expected-${dialect}.json`);
}

function readCache(file: string, environment: string, chain: string): CacheFile | null {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    if (data.format !== CACHE_FORMAT || data.environment !== environment || data.chain !== chain) return null;
    return data;
  } catch {
    // A missing, unreadable or corrupt cache is only a cache: replay instead.
    return null;
  }
}

function writeCache(file: string, data: CacheFile): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data));
    fs.renameSync(tmp, file);
  } catch {
    // Read-only project folders still get a correct (if slower) doctor.
  }
}

/**
 * The expected schema at every revision: replays the migrations into a scratch database
 * (SQLite in memory; a throwaway PostgreSQL database, always dropped), introspecting after
 * each one. Cached on disk by the chain of checksums, so an unchanged project replays nothing.
 */
export async function expectedSchemas(options: ExpectedSchemasOptions): Promise<ExpectedSchemas> {
  const { conn, files } = options;
  const dialect = conn.dialect;
  const maskSecrets = (sql: string) => maskedSql(dialect, sql);
  const environment = [
    FINGERPRINT_VERSION,
    await dialect.serverVersion(conn),
    options.historyTable,
    options.schema ?? '',
    options.scratchServer ? 'isolated' : 'confined',
    JSON.stringify(options.exclude),
  ].join('|');
  const chain = chainKey(files);
  const file = options.cacheDir ? cachePath(options.cacheDir, dialect.name) : null;
  const cached = file ? readCache(file, environment, chain) : null;
  if (cached) {
    options.onEvent?.({ type: 'replay-cached', total: files.length });
    return new ExpectedSchemas(
      dialect.name,
      cached.revisions,
      cached.objects,
      true,
      cached.skipped,
      null,
      [],
      cached.confinement,
    );
  }

  const revisions: RevisionSnapshot[] = [];
  const objects: Record<string, SchemaObject> = {};
  const skipped: ReplaySkip[] = [];
  let failure: ReplayFailure | null = null;
  const scratchOptions: ScratchOptions = { isolated: options.scratchServer !== undefined, live: conn };
  const scratch = await dialect.createScratch(options.scratchServer ?? conn, scratchOptions);
  const window = { from: Date.now(), to: Date.now() };
  try {
    const history = new History(
      scratch.conn,
      options.historyTable,
      await dialect.engine.historySchema(scratch.conn, options.historyTable),
    );
    await history.ensure();
    let previous: Record<ObjectKey, string> = {};
    let previousSchema: Schema | null = null;
    const memo = new Map<string, unknown>();
    const frozenMemo = new WeakMap<object, unknown>();
    for (const [index, f] of files.entries()) {
      options.onEvent?.({ type: 'replay', id: f.id, index, total: files.length });
      const skippedBefore = scratch.skipped.length;
      let untracked = false;
      // A skipped statement may set a password: it is shown, and cached, masked.
      const record = () => {
        for (const s of scratch.skipped.slice(skippedBefore))
          skipped.push({ id: f.id, statement: maskSecrets(s.statement), reason: s.reason });
      };
      try {
        const migration = await loadMigration(f, dialect);
        untracked = migration.up.kind === 'module';
        await executeMigration(scratch.conn, history, migration, 'up', {
          statementLockTimeoutMs: options.statementLockTimeoutMs,
          lockRetries: 0,
          before: index > 0 ? files[index - 1].id : null,
        });
      } catch (e) {
        record();
        failure = replayFailure(f, index, e, skipped, maskSecrets);
        break;
      }
      record();
      const replayed = await dialect.introspect(scratch.conn, {
        schema: options.schema,
        exclude: options.exclude,
        memo,
        untracked,
      });
      window.to = Date.now();
      if (replayed === previousSchema) {
        // The dialect saw no schema change (SQLite's schema cookie): nothing to hash again.
        revisions.push({ id: f.id, fingerprint: fingerprintOfHashes(dialect.name, previous), changed: {} });
        continue;
      }
      previousSchema = replayed;
      const schema = markFrozenTimes(replayed, window, frozenMemo);
      const hashes = objectHashes(schema);
      const changed: Record<ObjectKey, string | null> = {};
      for (const [key, hash] of Object.entries(hashes)) {
        if (previous[key] !== hash) {
          changed[key] = hash;
          objects[hash] = objectOf(schema, key);
        }
      }
      for (const key of Object.keys(previous)) if (!(key in hashes)) changed[key] = null;
      revisions.push({ id: f.id, fingerprint: fingerprintOfHashes(dialect.name, hashes), changed });
      previous = hashes;
    }
  } finally {
    await scratch.dispose();
  }
  // A failed replay is not cached: the next doctor tries again (the file may be fixed by then,
  // which changes the chain anyway, or the failure may have been the server's).
  if (file && failure === null) {
    writeCache(file, {
      format: CACHE_FORMAT,
      environment,
      chain,
      revisions,
      objects,
      skipped,
      confinement: scratch.confinement ?? null,
    });
  }
  return new ExpectedSchemas(
    dialect.name,
    revisions,
    objects,
    false,
    skipped,
    failure,
    scratch.removedLeftovers,
    scratch.confinement ?? null,
  );
}

/** What to say about a migration the replay could not run, naming statements skipped before it. */
function replayFailure(
  f: MigrationFile,
  index: number,
  e: unknown,
  skipped: readonly ReplaySkip[],
  maskSecrets: (sql: string) => string,
): ReplayFailure {
  // A migration that cannot even be loaded says why itself (a missing `npm i -D dbdoctor`, a syntax error).
  const own = isDbDoctorError(e) && e.code === 'BAD_MIGRATION' ? e.hint : undefined;
  if (own)
    return {
      id: f.id,
      index,
      message: maskSecrets(`Migration ${f.stem} cannot be replayed: ${errorMessage(e)}`),
      hint: own,
    };
  let hint =
    'A migration that only works on a database with a particular history cannot be checked. Make it work from an empty database, then run the doctor again.';
  if (skipped.length > 0) {
    const listed = skipped.slice(-3).map((s) => `\`${oneLine(s.statement)}\` (${s.id})`);
    hint = `The replay did not run ${skipped.length} statement(s) that would have changed the live server, e.g. ${listed.join(', ')}; if this migration depends on them, give the doctor a server of its own with --scratch-url (or \`scratchUrl\` in the config). Otherwise: ${hint}`;
  }
  return {
    id: f.id,
    index,
    // The message quotes the failing statement, which may set a password.
    message: maskSecrets(`Migration ${f.stem} fails when replayed on an empty database: ${errorMessage(e)}`),
    hint,
  };
}

/** A statement on one line, shortened for a message. */
export function oneLine(statement: string): string {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

/** The object `key` names in `schema`, or undefined. */
export function objectOf(schema: Schema, key: ObjectKey): SchemaObject {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const name = key.slice(colon + 1);
  if (kind === 'table') return schema.tables[name];
  if (kind === 'enum') return schema.enums[name];
  if (kind === 'view') return schema.views[name];
  if (kind === 'trigger') return schema.triggers[name];
  return schema.objects?.[key] as OtherObject;
}

/** Puts `object` into `schema` where its key's kind belongs. */
export function placeObject(schema: Schema, key: ObjectKey, object: SchemaObject): void {
  const kind = key.slice(0, key.indexOf(':'));
  if (kind === 'table') schema.tables[(object as Table).name] = object as Table;
  else if (kind === 'enum') schema.enums[(object as EnumType).name] = object as EnumType;
  else if (kind === 'view') schema.views[(object as View).name] = object as View;
  else if (kind === 'trigger') schema.triggers[key.slice(key.indexOf(':') + 1)] = object as Trigger;
  else putObject(schema, object as OtherObject);
}
