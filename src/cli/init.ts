import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_NAME } from '../config/config-read.js';
import { parseDatabaseUrl, secretsOfUrl } from '../config/url.js';
import { dialectOfScheme } from '../dialects/registry.js';
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
        // A URL no command could read is refused before anything is made or written (a password
        // with an unencoded '#' would otherwise land in the config file, unrecognised as one).
        if (opts.url !== undefined) parseDatabaseUrl(opts.url);
        const created: string[] = [];
        // Files that existed and were added to (their lines kept).
        const updated: string[] = [];
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
        // A password in the config file would be committed with it: it goes to .env (kept out
        // of version control below), and the config names it as ${DATABASE_URL}.
        const secret = url !== undefined && secretsOfUrl(url).length > 0;
        const envFile = path.join(base, '.env');
        let written = url;
        if (secret && url !== undefined) {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax, written as text
          written = '${DATABASE_URL}';
          const env = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : '';
          if (/^\s*(export\s+)?DATABASE_URL\s*=/m.test(env))
            notes.push(
              `url: not written, it holds a password; ${shown(envFile)} already sets DATABASE_URL, which "url" names ($\{DATABASE_URL})`,
            );
          else {
            const sep = env === '' || env.endsWith('\n') ? '' : '\n';
            // Single quotes keep every character as it is (node:util parseEnv, as .env is read).
            const value = url.includes("'") ? `"${url}"` : `'${url}'`;
            fs.appendFileSync(envFile, `${sep}DATABASE_URL=${value}\n`, { mode: 0o600 });
            (env === '' ? created : updated).push(`${envFile} (DATABASE_URL)`);
            notes.push(
              `url: it holds a password, so it went to ${shown(envFile)} (not for version control) and "url" names it as $\{DATABASE_URL}`,
            );
          }
        }
        let config: Record<string, string> | null = null;
        if (!fs.existsSync(configFile)) {
          config = {
            ...(written !== undefined ? { url: written } : {}),
            dir: path.relative(base, dir) || '.',
            ...(format && format !== 'dbmate' ? { format } : {}),
          };
          fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
          created.push(configFile);
        } else notes.push(`${shown(configFile)} exists: left as it is`);
        // Automatic backups land in backups/ beside the database: not for version control.
        // Only a database with online backups gets them (the capability, read from the URL's
        // dialect); a server database, or one not named yet beyond "not SQLite", has none.
        // (The doctor's cache lives in the user's cache folder, outside the project.)
        const target = url ?? (fromEnv ? process.env.DATABASE_URL : undefined);
        const scheme = target === undefined ? undefined : /^([a-z0-9+.-]+):/i.exec(target.trim())?.[1];
        const backups = scheme !== undefined && (dialectOfScheme(scheme)?.capabilities.onlineBackup ?? false);
        const ignore = path.resolve('.gitignore');
        const have = fs.existsSync(ignore) ? fs.readFileSync(ignore, 'utf8') : '';
        const lines = have.split(/\r?\n/).map((l) => l.trim());
        const missing = [...(backups ? ['backups/'] : []), ...(secret ? ['.env'] : [])].filter(
          (e) => !lines.includes(e) && !lines.includes(`/${e}`),
        );
        if (missing.length > 0) {
          const sep = have === '' || have.endsWith('\n') ? '' : '\n';
          const what = [
            ...(backups ? ["dbdoctor's automatic backups"] : []),
            ...(secret ? [".env with the database's password"] : []),
          ].join(' and ');
          fs.appendFileSync(ignore, `${sep}# ${what}\n${missing.join('\n')}\n`);
          (have === '' ? created : updated).push(`${ignore} (${missing.join(', ')})`);
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
            updated,
            dir,
            format: format ?? 'dbmate',
            existing: existed,
            // Shown without its password.
            url: url === undefined ? null : secret ? parseDatabaseUrl(url).display : url,
            evidence,
            notes,
          },
          () =>
            [
              ...notes,
              ...created.map((c) => `created ${c}`),
              ...updated.map((u) => `added to ${u}`),
              ...(created.length + updated.length === 0 ? ['Already initialised: nothing to create.'] : []),
              next,
            ].join('\n'),
        );
      }),
    );
}
