import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DbDoctorError, errorMessage } from '../errors.js';
import { discoverMigrations, timestampId } from '../migrations/files.js';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

const SQL_TEMPLATE = `-- migrate:up


-- migrate:down

`;

const TS_TEMPLATE = `import { defineMigration } from 'dbdoctor';

export default defineMigration({
  async up(db) {
    await db.sql('');
  },
  async down(db) {
    await db.sql('');
  },
});
`;

const DSL_TEMPLATE = `import { addColumn, createIndex, defineMigration } from 'dbdoctor';

// One migration for SQLite and PostgreSQL; down is derived from the operations.
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
  withCommonOptions(program.command('new'))
    .argument('<name>', 'what the migration does, e.g. add_active_trail_id')
    .option('--sql', 'write a SQL migration (default)')
    .option('--ts', 'write a TypeScript migration')
    .option('--dsl', 'write a TypeScript migration with the operation DSL (both dialects, derived down)')
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
        const existing = discoverMigrations(dir);
        let id = timestampId(new Date());
        // Two `new` calls in one second must not collide.
        while (existing.some((f) => f.id === id)) id = String(BigInt(id) + 1n);
        const ext = opts.ts || opts.dsl ? 'ts' : 'sql';
        const file = path.join(dir, `${id}_${name}.${ext}`);
        const template = opts.dsl ? DSL_TEMPLATE : ext === 'ts' ? TS_TEMPLATE : SQL_TEMPLATE;
        try {
          fs.writeFileSync(file, template, { flag: 'wx' });
        } catch (e) {
          throw cannotWrite(file, e);
        }
        emit(ctx.json, { id, file }, () => `created ${file}`);
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
