import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_NAME } from '../config/config-read.js';
import { isDir } from '../formats/format.js';
import { detectFormat, locateMigrationsDir } from '../formats/index.js';
import { DEFAULT_URL, withCommonOptions } from './context.js';
import { serverEvidence } from './default-database.js';
import { emit } from './output.js';
import { action } from './run.js';

/** A path as shown to people: relative to the current folder when inside it. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') ? p : rel;
}

/**
 * `dbdoctor init`: writes dbdoctor.config.json, using the migrations folder the project
 * already has (dbdoctor's `migrations/` or another tool's: `prisma/migrations`, `drizzle`,
 * `db/migrations`, Flyway's …) and creating `migrations/` only when there is none. It writes
 * the SQLite default URL only when nothing says the project targets another database (the
 * DATABASE_NOT_NAMED guard's evidence: Prisma's provider, Drizzle's dialect, server-only SQL,
 * or a DATABASE_URL already set).
 */
export function register(program: Command): void {
  withCommonOptions(program.command('init'), {
    format: false,
    history: false,
    lock: false,
    opensDatabase: false,
  })
    .description(
      "create dbdoctor.config.json in the current folder, using the project's migrations folder (another tool's too) or creating migrations/",
    )
    .action(
      action(async (ctx, opts) => {
        const created: string[] = [];
        const notes: string[] = [];
        const configFile = path.resolve(opts.config ?? DEFAULT_CONFIG_NAME);
        const base = path.dirname(configFile);
        let dir: string;
        let format: string | null = null;
        if (opts.dir) {
          dir = path.resolve(opts.dir);
          if (isDir(dir)) format = detectFormat(dir).name;
        } else {
          // The folder the project already migrates from, never a second, empty one beside it.
          const located = locateMigrationsDir(base);
          dir = located.dir;
          format = located.format ?? (isDir(dir) ? detectFormat(dir).name : null);
        }
        const existed = isDir(dir);
        if (existed) {
          notes.push(
            `found ${shown(dir)}${format && format !== 'dbmate' ? ` (${format} layout)` : ''}: using it`,
          );
        } else {
          fs.mkdirSync(dir, { recursive: true });
          created.push(dir);
        }
        const evidence = opts.url === undefined ? serverEvidence(dir, format ?? undefined, base) : null;
        const fromEnv = opts.url === undefined && process.env.DATABASE_URL !== undefined;
        // The URL written: the one given, none when something else names (or must name) the database.
        const url = opts.url ?? (fromEnv || evidence !== null ? undefined : DEFAULT_URL);
        if (fromEnv) notes.push('url: not written, DATABASE_URL (environment or .env) names the database');
        else if (evidence !== null)
          notes.push(
            `url: not written, the project targets another database than SQLite (${evidence}): name it with DATABASE_URL (environment or .env), --url, or "url" in ${shown(configFile)}`,
          );
        let config: Record<string, string> | null = null;
        if (!fs.existsSync(configFile)) {
          config = {
            ...(url !== undefined ? { url } : {}),
            dir: path.relative(base, dir) || '.',
            ...(format && format !== 'dbmate' ? { format } : {}),
          };
          fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
          created.push(configFile);
        } else notes.push(`${shown(configFile)} exists: left as it is`);
        // Automatic backups land in backups/ beside the database: not for version control.
        // (The doctor's cache lives in the user's cache folder, outside the project.)
        const ignore = path.resolve('.gitignore');
        const have = fs.existsSync(ignore) ? fs.readFileSync(ignore, 'utf8') : '';
        const lines = have.split(/\r?\n/).map((l) => l.trim());
        const missing = ['backups/'].filter((e) => !lines.includes(e) && !lines.includes(`/${e}`));
        if (missing.length > 0) {
          const sep = have === '' || have.endsWith('\n') ? '' : '\n';
          fs.appendFileSync(ignore, `${sep}# dbdoctor's automatic backups\n${missing.join('\n')}\n`);
          created.push(`${ignore} (${missing.join(', ')})`);
        }
        const next = existed
          ? format && format !== 'dbmate' && format !== 'dbdoctor'
            ? `Next: dbdoctor status, then dbdoctor adopt to take over ${format}'s history`
            : 'Next: dbdoctor status'
          : 'Next: dbdoctor new <name>';
        emit(
          ctx.json,
          {
            created,
            dir,
            format: format ?? 'dbmate',
            existing: existed,
            url: url ?? null,
            evidence,
            notes,
          },
          () =>
            [
              ...notes,
              ...created.map((c) => `created ${c}`),
              ...(created.length === 0 ? ['Already initialised: nothing to create.'] : []),
              next,
            ].join('\n'),
        );
      }),
    );
}
