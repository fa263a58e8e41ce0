import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DbDoctorError, errorMessage } from '../errors.js';
import type { MigrationContext, MigrationDefinition } from './define.js';
import { type MigrationFile, parseSqlMigration } from './files.js';
import { splitStatements } from './split.js';

/** One direction of a migration, ready to run. */
export type MigrationStep =
  | { kind: 'sql'; statements: string[]; transaction: boolean }
  | { kind: 'module'; run: (ctx: MigrationContext) => Promise<void> | void; transaction: boolean };

/** A migration loaded for running: its up and (when it has one) down. */
export interface LoadedMigration {
  file: MigrationFile;
  up: MigrationStep;
  down: MigrationStep | null;
}

/** Parses a SQL migration or imports a TS/JS one (TS through tsx, so users never compile). */
export async function loadMigration(file: MigrationFile): Promise<LoadedMigration> {
  if (file.kind === 'sql') {
    const parsed = parseSqlMigration(file.text ?? '', path.basename(file.file));
    const toStep = (s: { sql: string; transaction: boolean }): MigrationStep => ({
      kind: 'sql',
      statements: splitStatements(s.sql),
      transaction: s.transaction,
    });
    return { file, up: toStep(parsed.up), down: parsed.down ? toStep(parsed.down) : null };
  }
  const def = await importDefinition(file.file);
  const transaction = def.transaction !== false;
  return {
    file,
    up: { kind: 'module', run: def.up.bind(def), transaction },
    down: def.down ? { kind: 'module', run: def.down.bind(def), transaction } : null,
  };
}

async function importDefinition(file: string): Promise<MigrationDefinition> {
  let mod: Record<string, unknown>;
  try {
    const url = pathToFileURL(file).href;
    if (/\.m?ts$/.test(file)) {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    } else {
      mod = (await import(url)) as Record<string, unknown>;
    }
  } catch (e) {
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Cannot load migration ${path.basename(file)}: ${errorMessage(e)}`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Fix the syntax or import error in the file; it must default-export defineMigration({ up, down }).',
        cause: e,
      },
    );
  }
  let def = mod.default as Record<string, unknown> | undefined;
  // CommonJS interop can nest the default export once more.
  if (
    def &&
    typeof def.up !== 'function' &&
    typeof (def.default as Record<string, unknown>)?.up === 'function'
  ) {
    def = def.default as Record<string, unknown>;
  }
  if (!def || typeof def.up !== 'function') {
    throw new DbDoctorError(
      'BAD_MIGRATION',
      `Migration ${path.basename(file)} has no default export with an up function.`,
      {
        unchanged: 'Nothing was done.',
        hint: 'Write `export default defineMigration({ async up(db) { … }, async down(db) { … } })`.',
      },
    );
  }
  return def as unknown as MigrationDefinition;
}
