import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDatabaseUrl } from '../config/url.js';
import type { DialectName } from '../dialects/dialect.js';
import { dialectNamed, registeredDialects } from '../dialects/registry.js';
import { DbDoctorError } from '../errors.js';
import { SESSIONS_HISTORY_TABLE } from '../sessions/names.js';
import type { SessionStatus } from '../sessions/types.js';
import { wholeNumberOption, withCommonOptions } from './context.js';
import { concealInOutput, emit } from './output.js';
import { action, type Resolved } from './run.js';

const STATUSES: readonly SessionStatus[] = ['active', 'completed', 'abandoned'];

const isRedisUrl = (url: unknown): url is string => typeof url === 'string' && /^rediss?:\/\//i.test(url);

/**
 * A session id as `sessions list` shows it by default: ids are bearer tokens, so only a
 * quarter of the characters, at most 6, then an ellipsis (enough to tell sessions apart).
 */
export function maskSessionKey(key: string): string {
  const chars = Array.from(key);
  return `${chars.slice(0, Math.min(6, Math.floor(chars.length / 4))).join('')}…`;
}

/** A Redis URL's password is concealed in every line printed (the SQL URLs' already are). */
function concealRedisPassword(url: unknown): void {
  if (!isRedisUrl(url)) return;
  try {
    const { password } = new URL(url);
    if (password) concealInOutput([password, decodeURIComponent(password)]);
  } catch {
    // an unparsable URL is reported, without its text, when the store is opened
  }
}

/** The dialect named by --dialect, else the one of the database URL. */
async function chosenDialect(ctx: Resolved, flag: unknown): Promise<DialectName> {
  if (flag === undefined && isRedisUrl(ctx.url)) {
    throw new DbDoctorError(
      'BAD_USAGE',
      'Redis keeps sessions without tables: there are no migrations for it.',
      {
        unchanged: 'Nothing was read or written.',
        hint: `Pass ${sessionDialects()
          .map((d) => `--dialect ${d}`)
          .join(' or ')} for the SQL tables; with Redis, open the store on the redis:// URL directly.`,
      },
    );
  }
  if (flag === undefined) {
    const { dialectOfInput } = await import('../dialects/open.js');
    return dialectOfInput(ctx.database, ctx.cwd);
  }
  const known = sessionDialects();
  if (typeof flag === 'string' && known.includes(flag)) return flag;
  throw new DbDoctorError('BAD_USAGE', `Unknown --dialect "${String(flag)}".`, {
    unchanged: 'Nothing was read or written.',
    hint: `Use ${known.map((d) => `--dialect ${d}`).join(' or ')}.`,
  });
}

/** The dialects with session tables (a session backend in their folder). */
function sessionDialects(): string[] {
  return registeredDialects()
    .filter((d) => d.sessions !== undefined)
    .map((d) => d.name);
}

/**
 * Copies the session migrations into a project's (dbmate-layout) folder, each under a fresh
 * id after the folder's latest, as `dbdoctor new` would name it: the shipped id would sort
 * before the project's applied migrations and the next `apply` would stop at OUT_OF_ORDER. A
 * copy already there (the same name after its id, the same bytes) is left as it is; one with
 * different bytes stops the copy before anything is written (an applied migration's checksum
 * must not change under it).
 */
async function copyWithFreshIds(
  dialect: DialectName,
  dir: string,
): Promise<{ copied: string[]; alreadyPresent: string[] }> {
  const { listSessionMigrations } = await import('../sessions/tables.js');
  const { formatNamed } = await import('../formats/index.js');
  const { freshMigrationId } = await import('./new.js');
  const dbmate = formatNamed('dbmate');
  const there = fs.existsSync(dir);
  const existing = there ? [...dbmate.list(dir).files] : [];
  const entries = there ? fs.readdirSync(dir) : [];
  const copied: string[] = [];
  const alreadyPresent: string[] = [];
  const writes: { from: string; to: string }[] = [];
  for (const f of listSessionMigrations(dialect)) {
    const rest = f.file.slice(f.file.indexOf('_') + 1);
    const prior = entries.find((e) => e.endsWith(`_${rest}`) && /^\d+$/.test(e.slice(0, -rest.length - 1)));
    if (prior !== undefined) {
      const target = path.join(dir, prior);
      if (fs.readFileSync(target).equals(fs.readFileSync(f.path))) {
        alreadyPresent.push(prior);
        continue;
      }
      throw new DbDoctorError(
        'SESSION_MIGRATION_CONFLICT',
        `${target} exists and differs from the shipped ${f.file}.`,
        {
          unchanged: 'No file was copied.',
          hint: 'If it is an older copy that is already applied, keep it; otherwise move it away and copy again.',
          details: { file: target },
        },
      );
    }
    const id = freshMigrationId(dbmate, existing);
    const name = `${id}_${rest}`;
    const stem = name.replace(/\.sql$/, '');
    existing.push({
      id,
      name: stem.slice(id.length + 1),
      stem,
      file: path.join(dir, name),
      kind: 'sql',
      checksum: '',
    });
    writes.push({ from: f.path, to: path.join(dir, name) });
    copied.push(name);
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const w of writes) fs.copyFileSync(w.from, w.to, fs.constants.COPYFILE_EXCL);
  return { copied, alreadyPresent };
}

/** `dbdoctor sessions ...`: the session tables' migrations, and upkeep of the stored sessions. */
export function register(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('session tables (list, install or copy their migrations) and stored sessions (sweep, list)');

  withCommonOptions(sessions.command('migrations'), {
    dir: false,
    format: false,
    history: false,
    lock: false,
  })
    .description('list the migrations that create the session tables, for a dialect')
    .option(
      '--dialect <dialect>',
      `${sessionDialects().join(', ')} (default: the dialect of the database URL)`,
    )
    .action(
      action(async (ctx, opts) => {
        const dialect = await chosenDialect(ctx, opts.dialect);
        const { listSessionMigrations } = await import('../sessions/tables.js');
        const files = listSessionMigrations(dialect);
        emit(ctx.json, { dialect, historyTable: SESSIONS_HISTORY_TABLE, files }, () =>
          [
            `Session table migrations for ${dialect}:`,
            ...files.map((f) => `  ${f.path}`),
            '',
            `Apply them in their own history (${SESSIONS_HISTORY_TABLE}): dbdoctor sessions install --url <url>`,
            'Or copy them into your migrations folder: dbdoctor sessions copy --dir <migrations>',
          ].join('\n'),
        );
      }),
    );

  withCommonOptions(sessions.command('install'), { dir: false, format: false, history: false })
    .description(`apply the session table migrations in their own history table (${SESSIONS_HISTORY_TABLE})`)
    .option('--dry-run', 'show what would be applied; change nothing')
    .action(
      action(async (ctx, opts) => {
        if (isRedisUrl(ctx.url)) {
          concealRedisPassword(ctx.url);
          emit(
            ctx.json,
            { applied: [], redis: true },
            () => 'Redis keeps sessions without tables: nothing to install.',
          );
          return;
        }
        const { dir: _projectMigrations, historyTable: _projectHistory, ...engine } = ctx;
        const { installSessionTables } = await import('../sessions/tables.js');
        const r = await installSessionTables({
          ...engine,
          backup: { enabled: false },
          dryRun: Boolean(opts.dryRun),
        });
        emit(ctx.json, { ...r, historyTable: SESSIONS_HISTORY_TABLE }, () => {
          if (r.applied.length === 0) return `Session tables are up to date (${r.after ?? 'base'}).`;
          const verb = r.dryRun ? 'would apply' : 'applied';
          return r.applied.map((a) => `${verb} ${a.id}_${a.name}`).join('\n');
        });
      }),
    );

  withCommonOptions(sessions.command('copy'), { format: false, history: false, lock: false })
    .description(
      'copy the session table migrations into the migrations folder (--dir), to apply with the rest',
    )
    .option(
      '--dialect <dialect>',
      `${sessionDialects().join(', ')} (default: the dialect of the database URL)`,
    )
    .action(
      action(async (ctx, opts) => {
        const dialect = await chosenDialect(ctx, opts.dialect);
        const dir = ctx.dir ?? path.resolve('migrations');
        const r = await copyWithFreshIds(dialect, dir);
        emit(ctx.json, { dialect, dir, ...r }, () => {
          const rel = path.relative(process.cwd(), dir) || '.';
          const lines = [
            ...r.copied.map((f) => `copied ${f} into ${rel}`),
            ...r.alreadyPresent.map((f) => `${f} is already in ${rel} (same bytes)`),
          ];
          if (r.copied.length > 0) lines.push('Next: dbdoctor apply');
          return lines.join('\n');
        });
      }),
    );

  withCommonOptions(sessions.command('sweep'), { dir: false, format: false, history: false, lease: false })
    .description('remove expired sessions, in bounded batches (safe to run from cron while the app runs)')
    .action(
      action(async (ctx) => {
        concealRedisPassword(ctx.url);
        const { openSessionStore } = await import('../sessions/sql-store.js');
        const store = await openSessionStore(ctx.url, {
          cwd: ctx.cwd,
          poolSize: 1,
          busyTimeoutMs: ctx.lockTimeoutMs,
        });
        try {
          const removed = await store.sweep().catch(sessionDatabaseError(ctx));
          emit(ctx.json, { removed }, () => `Removed ${removed} expired session${removed === 1 ? '' : 's'}.`);
        } finally {
          await store.close();
        }
      }),
    );

  withCommonOptions(sessions.command('list'), { dir: false, format: false, history: false, lease: false })
    .description('list unexpired sessions, most recently active first (admin view)')
    .option('--status <status>', `only sessions with this status (${STATUSES.join(', ')})`)
    .option('--include-expired', 'also show expired sessions not swept yet')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--offset <n>', 'skip this many first')
    .option('--show-ids', 'print whole session ids (they are bearer tokens: masked by default)')
    .action(
      action(async (ctx, opts) => {
        concealRedisPassword(ctx.url);
        const showIds = Boolean(opts.showIds);
        const status = opts.status as string | undefined;
        if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
          throw new DbDoctorError('BAD_USAGE', `Unknown --status "${status}".`, {
            unchanged: 'Nothing was read.',
            hint: `Use one of: ${STATUSES.join(', ')}.`,
          });
        }
        const limit = wholeNumberOption(opts.limit, '--limit', 0, 50) ?? 50;
        const offset = wholeNumberOption(opts.offset, '--offset', 0, 50);
        const { openSessionStore } = await import('../sessions/sql-store.js');
        const store = await openSessionStore(ctx.url, {
          cwd: ctx.cwd,
          poolSize: 1,
          busyTimeoutMs: ctx.lockTimeoutMs,
        });
        try {
          const list = await store
            .list({
              status: status as SessionStatus | undefined,
              includeExpired: Boolean(opts.includeExpired),
              limit,
              offset,
            })
            .catch(sessionDatabaseError(ctx));
          const total = await store.count().catch(sessionDatabaseError(ctx));
          const shown = list.map((s) => ({ ...s, key: showIds ? s.key : maskSessionKey(s.key) }));
          emit(ctx.json, { total, idsMasked: !showIds, sessions: shown }, () => {
            const iso = (ms: number) => new Date(ms).toISOString();
            const rows = shown.map(
              (s) =>
                `${s.key}  ${s.status.padEnd(9)}  last ${iso(s.lastActivity)}  expires ${iso(s.expiresAt)}  ${Buffer.byteLength(JSON.stringify(s.data))} bytes`,
            );
            const note = showIds ? '' : ' Ids are masked (bearer tokens); --show-ids prints them whole.';
            return [...rows, `${list.length} shown; ${total} unexpired in all.${note}`].join('\n');
          });
        } finally {
          await store.close();
        }
      }),
    );
}

/**
 * Maps a driver error met by a sessions command to the DbDoctorError the migration commands
 * give for it, as the dialect's session role says (SQLite: SQLITE_BUSY after --lock-timeout is
 * LOCK_TIMEOUT, a read-only or damaged file says so). Anything else is passed on unchanged.
 */
function sessionDatabaseError(ctx: Resolved): (e: unknown) => never {
  return (failure) => {
    // The store explains driver errors as SESSION_STORE_FAILED; a SQLite lock or file problem
    // gets the same code and words as for the migration commands.
    const e =
      failure instanceof DbDoctorError && failure.code === 'SESSION_STORE_FAILED' ? failure.cause : failure;
    if (e instanceof DbDoctorError || typeof ctx.url !== 'string' || isRedisUrl(ctx.url)) throw failure;
    const target = parseDatabaseUrl(ctx.url, ctx.cwd);
    throw dialectNamed(target.dialect).sessions?.describeError?.(e, target, ctx.lockTimeoutMs) ?? failure;
  };
}
