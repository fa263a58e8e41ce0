/** Reading the desired schema from its file: schema.sql (run in a scratch database) or schema.ts. */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection } from '../dialects/dialect.js';
import { loadTsImport } from '../dialects/optional-package.js';
import { type LoadedSchema, loadSchemaInto, loadSchemaScript } from '../dump/index.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { schemaOfDefinition } from './definition.js';

/** Whether a schema file is TypeScript/JavaScript (a {@link SchemaDefinition}) rather than SQL. */
export function isCodeSchemaFile(file: string): boolean {
  return /\.(m?ts|m?js)$/.test(file);
}

/** The file's text; SCHEMA_FILE_MISSING when there is none. */
function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DbDoctorError(
      code === 'ENOENT' ? 'SCHEMA_FILE_MISSING' : 'SCHEMA_FILE_UNREADABLE',
      `Cannot read the schema file ${file}: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was written.',
        hint:
          code === 'ENOENT'
            ? 'Write the desired schema there, or run `dbdoctor pull` to start from the live one (or pass --schema-file).'
            : 'Check the path and its permissions, or pass another --schema-file.',
        details: { file, errno: code },
      },
    );
  }
}

/**
 * The desired schema of a schema file on `conn`'s dialect: a SQL file runs in a scratch
 * database beside `conn` and is read back; a TS/JS file default-exports a schema definition,
 * folded like DSL operations.
 */
export async function readSchemaFile(
  conn: Connection,
  file: string,
  options: { schema?: string; memo?: Map<string, unknown> } = {},
): Promise<LoadedSchema> {
  const label = path.basename(file);
  if (!isCodeSchemaFile(file)) {
    return loadSchemaScript(conn, readText(file), {
      file: label,
      schema: options.schema,
      memo: options.memo,
    });
  }
  return readDefinitionFile(conn, file, label);
}

/**
 * As {@link readSchemaFile}, but a SQL file runs in `scratch`, an empty database the caller
 * keeps (`inScratch` then says it holds the desired schema); a TS/JS file is folded and leaves
 * `scratch` empty.
 */
export async function readSchemaFileInto(
  scratch: Connection,
  file: string,
  options: { schema?: string; memo?: Map<string, unknown> } = {},
): Promise<LoadedSchema & { inScratch: boolean }> {
  const label = path.basename(file);
  if (isCodeSchemaFile(file))
    return { ...(await readDefinitionFile(scratch, file, label)), inScratch: false };
  const loaded = await loadSchemaInto(scratch, readText(file), {
    file: label,
    schema: options.schema,
    memo: options.memo,
  });
  return { ...loaded, inScratch: true };
}

/** A TS/JS schema file's definition, folded on `conn`'s dialect. */
async function readDefinitionFile(conn: Connection, file: string, label: string): Promise<LoadedSchema> {
  readText(file);
  let mod: Record<string, unknown>;
  const tsImport = /\.m?ts$/.test(file) ? await loadTsImport(file, 'Nothing was written.') : null;
  try {
    const url = pathToFileURL(path.resolve(file)).href;
    if (tsImport) {
      mod = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    } else mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new DbDoctorError('BAD_SCHEMA_FILE', `Cannot load ${file}: ${errorMessage(e)}`, {
      unchanged: 'Nothing was written.',
      hint: 'Fix the file so it runs (it must default-export defineSchema({ ... })).',
      cause: e,
    });
  }
  let definition = mod.default as Record<string, unknown> | undefined;
  // CommonJS interop (a project without "type": "module") nests the default export once more.
  const hasTables = (d: Record<string, unknown> | undefined) => typeof d?.tables === 'object';
  if (definition && !hasTables(definition) && hasTables(definition.default as Record<string, unknown>))
    definition = definition.default as Record<string, unknown>;
  return { schema: schemaOfDefinition(definition, conn.dialect.name, label), sources: {} };
}
