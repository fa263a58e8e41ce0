/**
 * schema.sql: a schema model written as SQL, deterministic and in canonical order, so code
 * review sees every schema change; and the way back, a schema file loaded into a scratch
 * database and read into the model (what `generate` compares the migrations with).
 */
import type {
  Connection,
  Dialect,
  IntrospectOptions,
  ObjectSources,
  SchemaSql,
} from '../dialects/dialect.js';
import { dialectNamed } from '../dialects/registry.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { transactionControl } from '../migrations/transaction-control.js';
import type { Schema } from '../schema/model.js';

export type { ObjectSources, SchemaSql } from '../dialects/dialect.js';

/**
 * The dialect's schema SQL writer ({@link Dialect.schemaSql}). Throws SCHEMA_SQL_UNSUPPORTED
 * when the dialect has none: pull, dump, generate and diff need it, the rest of dbdoctor not.
 */
export function schemaSqlOf(dialect: Dialect): SchemaSql {
  if (dialect.schemaSql) return dialect.schemaSql;
  throw new DbDoctorError(
    'SCHEMA_SQL_UNSUPPORTED',
    `The ${dialect.name} dialect cannot write its schema as SQL yet, so pull, dump, generate and diff are not available for it.`,
    {
      unchanged: 'Nothing was read or written.',
      hint: '`dbdoctor schema` prints the live schema, and `dbdoctor doctor` compares it with the migrations; write migrations by hand (`dbdoctor new <name>`).',
      details: { dialect: dialect.name },
    },
  );
}

/** The first line of every schema.sql: how `generate` knows a file is one. */
export const SCHEMA_SQL_MARK = '-- dbdoctor schema';

/**
 * The schema as one SQL script: a short header, then one statement per paragraph in canonical
 * order (the same schema always gives the same bytes).
 */
export function renderSchemaSql(schema: Schema, sources: ObjectSources = {}): string {
  const statements = schemaSqlOf(dialectNamed(schema.dialect)).schemaStatements(schema, sources);
  const header = [
    `${SCHEMA_SQL_MARK} (${schema.dialect}): ${Object.keys(schema.tables).length} tables.`,
    '-- Written by dbdoctor pull/dump from the live schema; edit it and run `dbdoctor generate <name>`',
    '-- to get the migration that makes the database match it.',
  ];
  return `${header.join('\n')}\n\n${statements.map((s) => `${s.trim().replace(/;\s*$/, '')};`).join('\n\n')}\n`;
}

/** What loading a schema file gives: its model and the database's own texts of its objects. */
export interface LoadedSchema {
  schema: Schema;
  sources: ObjectSources;
}

/** Options of {@link loadSchemaScript} and {@link loadSchemaInto}. */
export interface LoadOptions {
  /** The file's name, for messages. */
  file: string;
  /** PostgreSQL schema the script's objects go to (made first when it is not `public`). */
  schema?: string;
  /** Tables left out of the model. */
  exclude?: string[];
  /** Introspection memo (see {@link IntrospectOptions.memo}). */
  memo?: Map<string, unknown>;
}

/**
 * Runs a schema script in a scratch database made beside `conn` (SQLite: in memory;
 * PostgreSQL: a throwaway database, always dropped) and reads it back into the model.
 * Throws SCHEMA_FILE_FAILED naming the statement when the script does not run.
 */
export async function loadSchemaScript(
  conn: Connection,
  script: string,
  options: LoadOptions,
): Promise<LoadedSchema> {
  const scratch = await conn.dialect.createScratch(conn);
  try {
    return await loadSchemaInto(scratch.conn, script, options);
  } finally {
    await scratch.dispose();
  }
}

/**
 * Runs a schema script in an empty (scratch) database and reads it back into the model. Where
 * DDL is transactional the script runs in one transaction (one commit, not one per
 * statement); if it fails there, it is rolled back and run again statement by statement, so a
 * statement that refuses to run in a transaction (CREATE INDEX CONCURRENTLY, an enum value
 * used where it is added) gets the same verdict as without one. Throws SCHEMA_FILE_FAILED
 * naming the statement when the script does not run.
 */
export async function loadSchemaInto(
  scratch: Connection,
  script: string,
  options: LoadOptions,
): Promise<LoadedSchema> {
  const dialect = scratch.dialect;
  const writer = schemaSqlOf(dialect);
  const statements = [
    ...writer.prepareScratch(options.schema),
    ...dialect
      .splitStatements(script)
      .map(withoutClientCommands)
      .filter((st) => st !== null),
  ];
  // A dump sets its session up (pg_dump empties search_path): put back what the script
  // changes, as after a migration, so the scratch connection serves dbdoctor as before.
  const restoreSession = await dialect.engine.captureSession(scratch);
  try {
    await runScript(scratch, statements, options);
  } finally {
    await restoreSession();
  }
  const schema = await dialect.introspect(scratch, {
    schema: options.schema,
    exclude: options.exclude ?? [],
    memo: options.memo,
  });
  const sources = await writer.readSources(scratch, options.schema);
  return { schema, sources };
}

/**
 * A statement without the client meta-command lines before it (psql's `\restrict`, `\connect`,
 * …: a line starting with a backslash between statements, which psql runs itself and never
 * sends to the server); null when nothing else is left.
 */
function withoutClientCommands(statement: string): string | null {
  const lines = statement.split('\n');
  const isSql = (l: string) => l.trim() !== '' && !l.trim().startsWith('--') && !l.trim().startsWith('\\');
  const first = lines.findIndex(isSql);
  const head = lines.slice(0, first < 0 ? lines.length : first);
  if (!head.some((l) => l.trim().startsWith('\\'))) return statement;
  if (first < 0) return null;
  return [...head.filter((l) => !l.trim().startsWith('\\')), ...lines.slice(first)].join('\n');
}

async function runScript(scratch: Connection, statements: string[], options: LoadOptions): Promise<void> {
  const dialect = scratch.dialect;
  let done = false;
  // A script with its own BEGIN/COMMIT runs as written (a COMMIT would end this transaction).
  if (dialect.capabilities.transactionalDdl && !statements.some((s) => transactionControl(s) !== null)) {
    await scratch.begin();
    try {
      for (const statement of statements) await scratch.exec(statement);
      await scratch.commit();
      done = true;
    } catch {
      await scratch.rollback().catch(() => {});
    }
  }
  if (!done) {
    for (const statement of statements) {
      try {
        await scratch.exec(statement);
      } catch (e) {
        throw new DbDoctorError(
          'SCHEMA_FILE_FAILED',
          `${options.file} does not run on an empty ${dialect.name} database: ${errorMessage(e)}\n  statement: ${statement.trim().slice(0, 400)}`,
          {
            unchanged: 'Nothing was written; the scratch database it ran in was removed.',
            hint: `Fix the statement in ${options.file} (it must create the whole schema from nothing), then run the command again.`,
            details: { file: options.file, statement },
            cause: e,
          },
        );
      }
    }
  }
}
