import fs from 'node:fs';
import path from 'node:path';
import { isFile } from './format.js';

/** The names Knex's CLI looks for a configuration under (`knex --knexfile` defaults). */
const KNEXFILES = [
  'knexfile.js',
  'knexfile.cjs',
  'knexfile.mjs',
  'knexfile.ts',
  'knexfile.cts',
  'knexfile.mts',
];

/** The knexfile of the project whose migrations folder is `dir` (its parent, or the folder itself), or null. */
export function knexfileBeside(dir: string): string | null {
  for (const base of [path.dirname(path.resolve(dir)), path.resolve(dir)]) {
    for (const name of KNEXFILES) {
      const file = path.join(base, name);
      if (isFile(file)) return file;
    }
  }
  return null;
}

// `exports.up =`, `module.exports.up =`, `export function up`, `export const up =` ...
const NAMED_UP =
  /(?:^|[\s;])(?:module\.)?exports\.up\s*=|\bexport\s+(?:async\s+)?function\s+up\b|\bexport\s+(?:const|let|var)\s+up\b/m;
// A default export in any spelling dbdoctor's loader takes (ESM, or CommonJS `module.exports =`).
const DEFAULT_EXPORT =
  /\bexport\s+default\b|\bmodule\.exports\s*=|\bexports\.default\s*=|\bexport\s*\{[^}]*\bas\s+default\b/;

/**
 * Whether the module `file` is a Knex migration, which dbdoctor cannot run (it calls Knex's
 * query builder on the argument it is given: `knex.schema.createTable(…)`).
 *
 * Text alone is not certain: the argument's name says nothing (a dbdoctor migration may call
 * its context `knex`, a Knex one may call it `db`), and dbdoctor also loads CommonJS modules.
 * So two things must both hold: Knex runs migrations in this project (a knexfile beside the
 * folder, which its CLI needs), and the file has Knex's shape, a named `up` export and no
 * default export, which dbdoctor's own migrations always have (`export default
 * defineMigration(…)`). A migration rewritten for dbdoctor keeps running while the knexfile is
 * still there; a Knex file in a project without a knexfile is not caught here (adopt catches
 * the ones `knex_migrations` names, see adopt/tools.ts).
 */
export function isKnexMigration(file: string, knexfile: string | null): boolean {
  if (knexfile === null) return false;
  return hasKnexShape(file);
}

/** A named `up` export and no default export: the shape Knex loads and dbdoctor does not. */
export function hasKnexShape(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return NAMED_UP.test(text) && !DEFAULT_EXPORT.test(text);
}

/** Why a Knex migration is not run, with what to do (the README's "Coming from Knex"). */
export const KNEX_REASON =
  "a Knex migration (it calls Knex's query builder, which dbdoctor does not run): rewrite it as a dbdoctor migration (SQL, or TypeScript with ctx.sql) keeping its file stem, then `dbdoctor adopt --from knex` (README: Coming from Knex)";
