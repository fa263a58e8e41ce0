import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DbDoctorError } from '../errors.js';
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
        const dir = ctx.dir!;
        fs.mkdirSync(dir, { recursive: true });
        const existing = discoverMigrations(dir);
        let id = timestampId(new Date());
        // Two `new` calls in one second must not collide.
        while (existing.some((f) => f.id === id)) id = String(BigInt(id) + 1n);
        const ext = opts.ts || opts.dsl ? 'ts' : 'sql';
        const file = path.join(dir, `${id}_${name}.${ext}`);
        const template = opts.dsl ? DSL_TEMPLATE : ext === 'ts' ? TS_TEMPLATE : SQL_TEMPLATE;
        fs.writeFileSync(file, template, { flag: 'wx' });
        emit(ctx.json, { id, file }, () => `created ${file}`);
      }),
    );
}
