import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DbDoctorError, errorMessage } from '../errors.js';
import type { MigrationFormat } from '../formats/format.js';
import { detectFormat, formatNamed } from '../formats/index.js';
import { compareIds, type MigrationFile, timestampId } from '../migrations/files.js';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

const SQL_TEMPLATE = `-- migrate:up


-- migrate:down

`;

// A type-only import: erased when the file runs, so it works where dbdoctor is run with npx
// and not installed in the project. The template refuses to apply until it is written.
const TS_TEMPLATE = `import type { FunctionMigration } from 'dbdoctor';

export default {
  async up(db) {
    throw new Error('This migration is still the empty template from \`dbdoctor new\`: write its up (and down).');
    // await db.sql('CREATE TABLE ...');
  },
  async down(db) {
    // await db.sql('DROP TABLE ...');
  },
} satisfies FunctionMigration;
`;

const DSL_TEMPLATE = `import { addColumn, createIndex, defineMigration } from 'dbdoctor';

// One migration for SQLite, PostgreSQL and MySQL/MariaDB; down is derived from the operations.
// An auto-numbered key on every dialect: { type: 'integer', primaryKey: true, autoIncrement: true }.
// Until ops lists something, apply and lint refuse it (EMPTY_MIGRATION).
export default defineMigration({
  ops: [
    // addColumn('accounts', 'active_trail_id', { type: 'integer', references: { table: 'custom_routes', column: 'id' } }),
    // createIndex('accounts', ['active_trail_id']),
  ],
});
`;

/**
 * Longest name `new` accepts, in characters (ASCII only, so also bytes). A file name may hold
 * 255 bytes on ext4, APFS and NTFS; the 14-digit id, `_` and `.sql`/`.ts` take 19, and the rest
 * leaves room for longer ids and for copies such as `name.sql.orig`.
 */
export const MAX_MIGRATION_NAME = 200;

/** `dbdoctor new <name>`: an empty migration with a UTC timestamp id. */
export function register(program: Command): void {
  withCommonOptions(program.command('new'), { url: false, history: false, lock: false, opensDatabase: false })
    .argument('<name>', 'what the migration does, e.g. add_active_trail_id')
    .option('--sql', 'write a SQL migration (default)')
    .option('--ts', 'write a TypeScript migration')
    .option('--dsl', 'write a TypeScript migration with the operation DSL (every dialect, derived down)')
    .description('create an empty migration named <timestamp>_<name>')
    .action(
      action(async (ctx, opts, name: string) => {
        if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
          throw new DbDoctorError(
            'BAD_USAGE',
            `Migration name "${name}" must be letters, digits, "_" or "-".`,
            {
              unchanged: 'No file was created.',
              hint: 'Example: dbdoctor new add_active_trail_id',
            },
          );
        }
        if (name.length > MAX_MIGRATION_NAME) {
          throw new DbDoctorError(
            'BAD_USAGE',
            `Migration name is ${name.length} characters long; the most is ${MAX_MIGRATION_NAME}.`,
            {
              unchanged: 'No file was created.',
              hint: 'Use a shorter name that says what the migration does; details belong in the file.',
              details: { length: name.length, max: MAX_MIGRATION_NAME },
            },
          );
        }
        const dir = ctx.dir!;
        try {
          fs.mkdirSync(dir, { recursive: true });
        } catch (e) {
          throw cannotWrite(dir, e);
        }
        const format = ctx.format ? formatNamed(ctx.format) : detectFormat(dir);
        const existing = format.list(dir).files;
        const id = freshMigrationId(format, existing);
        let files: Record<string, string>;
        if (format.name === 'dbmate') {
          const ext = opts.ts || opts.dsl ? 'ts' : 'sql';
          files = {
            [`${id}_${name}.${ext}`]: opts.dsl ? DSL_TEMPLATE : ext === 'ts' ? TS_TEMPLATE : SQL_TEMPLATE,
          };
        } else if (opts.ts || opts.dsl || !format.scaffold) {
          throw new DbDoctorError(
            'BAD_USAGE',
            format.scaffold
              ? `${dir} is laid out for ${format.name}, which has SQL migrations only.`
              : `${dir} is laid out for ${format.name}, whose own tool writes new migrations (its journal lists them).`,
            {
              unchanged: 'No file was created.',
              hint: format.scaffold
                ? `Run \`dbdoctor new ${name}\` without --ts/--dsl for a ${format.name} SQL migration.`
                : 'Run `drizzle-kit generate --custom --name ' + name + '`, then dbdoctor apply.',
            },
          );
        } else {
          files = format.scaffold(id, name);
        }
        const written: string[] = [];
        for (const [rel, text] of Object.entries(files)) {
          const file = path.join(dir, rel);
          try {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, text, { flag: 'wx' });
          } catch (e) {
            throw cannotWrite(file, e);
          }
          written.push(file);
        }
        emit(ctx.json, { id, file: written[0], files: written, format: format.name }, () =>
          written.map((f) => `created ${f}`).join('\n'),
        );
      }),
    );
}

function cannotWrite(target: string, e: unknown): DbDoctorError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  return new DbDoctorError('CANNOT_WRITE_MIGRATION', `Cannot create ${target}: ${errorMessage(e)}`, {
    unchanged: 'No file was created.',
    hint:
      code === 'ENAMETOOLONG'
        ? 'Use a shorter name or a shorter --dir path.'
        : 'Check that the migrations folder is writable, or pass another --dir.',
    details: { file: target, errno: code },
    cause: e,
  });
}

/**
 * The id of a migration added to a folder now: the format's next id (a UTC timestamp for
 * dbmate), and never at or before the folder's latest id (a clock behind the newest file, or a
 * folder numbered 001, 002), so the next `apply` does not find it OUT_OF_ORDER.
 */
export function freshMigrationId(
  format: MigrationFormat,
  existing: readonly MigrationFile[],
  now: Date = new Date(),
): string {
  let id = format.nextId?.(existing) ?? sequentialId(format.name, existing) ?? timestampId(now);
  const latest = existing.reduce<string | null>(
    (top, f) => (top === null || compareIds(f.id, top) > 0 ? f.id : top),
    null,
  );
  if (latest !== null && /^\d+$/.test(latest) && /^\d+$/.test(id) && compareIds(id, latest) <= 0)
    id = String(BigInt(latest) + 1n).padStart(latest.length, '0');
  // Two `new` calls in one second must not collide.
  while (/^\d+$/.test(id) && existing.some((f) => f.id === id)) id = String(BigInt(id) + 1n);
  return id;
}

/**
 * Another tool's folder numbered 1, 2, 3 (goose -s, golang-migrate -seq) goes on numbering:
 * the highest id plus one, as wide as the others. Null where ids are timestamps or absent.
 */
function sequentialId(format: string, existing: readonly MigrationFile[]): string | null {
  if (format === 'dbmate' || existing.length === 0) return null;
  const ids = existing.map((f) => f.id);
  if (!ids.every((id) => /^\d{1,8}$/.test(id))) return null;
  const top = ids.reduce((m, id) => (BigInt(id) > m ? BigInt(id) : m), 0n);
  return String(top + 1n).padStart(ids[ids.length - 1]!.length, '0');
}
