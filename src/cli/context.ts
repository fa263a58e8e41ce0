import path from 'node:path';
import { type Command, Option } from 'commander';
import type { ConfigFile } from '../config/config-file.js';
import { readConfigJson } from '../config/config-read.js';
import { loadDotEnv } from '../config/dotenv.js';
import { parseDuration } from '../config/duration.js';
import { secretsOfUrl } from '../config/url.js';
import { DbDoctorError } from '../errors.js';
import { formatNamed, locateMigrationsDir } from '../formats/index.js';
import type { EngineOptions } from '../migrations/engine.js';
import { refuseDefaultDatabase } from './default-database.js';
import { concealInOutput } from './output.js';
import { renderEvent } from './progress.js';

/** Options every command accepts. */
export interface GlobalOptions {
  url?: string;
  dir?: string;
  config?: string;
  json?: boolean;
  historyTable?: string;
  lockTimeout?: string;
  lockLease?: string;
  statementLockTimeout?: string;
  backup?: boolean;
  keepBackups?: string;
  /** `doctor`: see DoctorOptions.scratchUrl. */
  scratchUrl?: string;
  /** The migrations folder's layout (another tool's). */
  format?: string;
}

/** The default database when nothing else names one. */
export const DEFAULT_URL = 'sqlite:./dbdoctor.sqlite';

/** Which of the shared options a command takes: only those that apply appear in its --help. */
export interface CommonOptionGroups {
  /** `--url`: the command reads or changes a database (default true). */
  url?: boolean;
  /** `--dir`: it reads the migrations folder (default true). */
  dir?: boolean;
  /** `--format`: the folder's layout (false where `--format` means something else). */
  format?: boolean;
  /** `--history-table` (default true). */
  history?: boolean;
  /** `--lock-timeout` and `--lock-lease`: it takes the migration lock (default true). */
  lock?: boolean;
  /** `--lock-lease` (default: as `lock`): false where --lock-timeout is only a busy wait (sessions). */
  lease?: boolean;
  /** False for commands that never open a database (`init`, `new`) even though they may name one. */
  opensDatabase?: boolean;
}

/** Commands that never open a database: no default-database check for them. */
const OPENS_NO_DATABASE = new WeakSet<Command>();

/** Commands whose own `--format` is their output's format, not the migrations folder's layout. */
const FORMAT_IS_OUTPUT = new WeakSet<Command>();

/** Whether `cmd`'s `--format` names the migrations folder's layout (see {@link CommonOptionGroups.format}). */
export function formatNamesLayout(cmd: Command): boolean {
  return !FORMAT_IS_OUTPUT.has(cmd);
}

/** Whether `cmd` opens a database (see {@link CommonOptionGroups.opensDatabase}). */
export function opensDatabase(cmd: Command): boolean {
  return !OPENS_NO_DATABASE.has(cmd);
}

/** Adds the shared options that apply to a command. */
export function withCommonOptions(cmd: Command, groups: CommonOptionGroups = {}): Command {
  if (groups.opensDatabase === false) OPENS_NO_DATABASE.add(cmd);
  if (groups.format === false) FORMAT_IS_OUTPUT.add(cmd);
  if (groups.url !== false)
    cmd.option(
      '--url <url>',
      'database URL (default: $DATABASE_URL, also read from .env, the config file, or sqlite:./dbdoctor.sqlite)',
    );
  if (groups.dir !== false)
    cmd.option(
      '--dir <dir>',
      "migrations folder (default: migrations, else another tool's folder found: db/migrations, prisma/migrations, drizzle, …)",
    );
  if (groups.format !== false)
    cmd.option(
      '--format <tool>',
      "the migrations folder's layout: dbmate, prisma, drizzle, golang-migrate, goose, sqlx, diesel, flyway (default: detected)",
    );
  cmd
    .option('--config <file>', 'config file (default: ./dbdoctor.config.json if present)')
    .option('--json', 'print one JSON document on stdout (with "ok")');
  if (groups.history !== false)
    cmd.addOption(new Option('--history-table <name>', 'history table name (default: dbdoctor_migrations)'));
  if (groups.lock !== false)
    cmd.addOption(
      new Option('--lock-timeout <duration>', 'how long to wait for another runner (default: 30s)'),
    );
  if (groups.lock !== false && groups.lease !== false)
    cmd.addOption(
      new Option(
        '--lock-lease <duration>',
        'SQLite: how long a lock stays valid unless renewed (default: 30s)',
      ),
    );
  return cmd;
}

/**
 * The config file as loadConfigFile reads it, with its schema (zod, the largest part of the
 * CLI's start-up) imported only when there is a file to check.
 */
async function loadConfig(
  explicit: string | undefined,
  cwd: string,
): Promise<{ config: ConfigFile; base: string }> {
  const read = readConfigJson(explicit, cwd);
  if (read === null) return { config: {}, base: cwd };
  const { checkConfig } = await import('../config/config-file.js');
  return { config: checkConfig(read.parsed, read.file), base: path.dirname(read.file) };
}

/** Resolves flags, environment and config file into engine options. */
export async function engineOptions(
  opts: GlobalOptions,
  opens = true,
): Promise<EngineOptions & { url: string; json: boolean; scratchUrl?: string; ignore: string[] }> {
  const cwd = process.cwd();
  // As dbmate and Prisma do: DATABASE_URL (and any ${VAR} of the config) may live in .env.
  loadDotEnv(cwd);
  const { config, base } = await loadConfig(opts.config, cwd);
  const named = opts.url ?? process.env.DATABASE_URL ?? config.url;
  const url = named ?? DEFAULT_URL;
  const pgPassword = process.env.PGPASSWORD;
  concealInOutput([...secretsOfUrl(url), ...(pgPassword ? [pgPassword] : [])]);
  // A relative sqlite path in the config file is relative to the config file.
  const fromConfig =
    opts.url === undefined && process.env.DATABASE_URL === undefined && config.url !== undefined;
  const format = opts.format ?? config.format;
  if (format !== undefined) formatNamed(format);
  const located = opts.dir || config.dir ? null : locateMigrationsDir(base);
  const dir = opts.dir
    ? path.resolve(cwd, opts.dir)
    : config.dir
      ? path.resolve(base, config.dir)
      : located!.dir;
  if (named === undefined && opens) refuseDefaultDatabase(dir, format ?? located?.format ?? undefined, base);
  const keep = wholeNumberOption(opts.keepBackups, '--keep-backups', 0, 5) ?? config.backups?.keep;
  const json = opts.json ?? false;
  const scratchUrl = opts.scratchUrl ?? config.scratchUrl;
  if (scratchUrl !== undefined) concealInOutput(secretsOfUrl(scratchUrl));
  return {
    url,
    json,
    scratchUrl,
    ignore: config.ignore ?? [],
    database: url,
    cwd: fromConfig ? base : cwd,
    dir,
    format: format ?? located?.format ?? undefined,
    historyTable: opts.historyTable ?? config.historyTable,
    lockTimeoutMs: parseDuration(opts.lockTimeout ?? config.lockTimeout ?? '30s', 'lock timeout'),
    lockLeaseMs: opts.lockLease === undefined ? undefined : parseDuration(opts.lockLease, 'lock lease'),
    statementLockTimeoutMs: parseDuration(
      opts.statementLockTimeout ?? config.statementLockTimeout ?? '5s',
      'statement lock timeout',
    ),
    backup: {
      enabled: opts.backup === false ? false : (config.backups?.enabled ?? true),
      keep,
      dir: config.backups?.dir ? path.resolve(base, config.backups.dir) : undefined,
    },
    onEvent: (e) => renderEvent(e),
  };
}

/**
 * A whole-number option (`--limit 50`): undefined when not given, BAD_USAGE (exit 2) when it
 * is not a whole number of at least `min`.
 */
export function wholeNumberOption(
  value: unknown,
  flag: string,
  min: 0 | 1,
  example: number,
): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number() would take "", " 2", "1e2" and "0x2", and NaN would turn a limit off.
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new DbDoctorError(
      'BAD_USAGE',
      `${flag} must be a ${min === 1 ? 'positive ' : ''}whole number (got "${String(value)}").`,
      { unchanged: 'Nothing was read or written.', hint: `For example ${flag} ${example}.` },
    );
  }
  return n;
}
