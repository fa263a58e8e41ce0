import type { Command } from 'commander';
import { conceal, secretsOfUrl } from '../config/url.js';
import { formatNamesLayout } from './context.js';

/**
 * Suggested commands repeat the options that say which project and which database the user
 * meant. The library suggests `dbdoctor resolve 003 --applied`; a user who ran with
 * `--dir db/sql --url postgres://app:…@db/prod` must be told to run that command with the same
 * options, or it would act on the default folder and database instead.
 */

/** The options a suggestion must repeat, in the order they are written. */
const CARRIED = [
  ['config', '--config'],
  ['dir', '--dir'],
  ['format', '--format'],
  ['url', '--url'],
  ['historyTable', '--history-table'],
] as const;

let carried: { flag: string; value: string }[] = [];
let commandPattern: RegExp | null = null;
/** The long options each command (and alias) accepts: a suggestion never gets one it refuses. */
const accepted = new Map<string, Set<string>>();

/** A value as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A URL with its password (and any other secret it holds) shown as `***`. */
function maskedUrl(url: string): string {
  // The userinfo ends at the last @ before the path: a password may hold an unencoded @ or :.
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^?#]*)@([^@]*)$/i.exec(url);
  const colon = m ? m[2]!.indexOf(':') : -1;
  const withoutPassword = m && colon >= 0 ? `${m[1]}${m[2]!.slice(0, colon)}:***@${m[3]}` : url;
  return conceal(withoutPassword, secretsOfUrl(url));
}

/** Learns the command names (`resolve`, `sessions install`) suggestions may start with. */
export function learnCommands(program: Command): void {
  const names: string[] = [];
  const learn = (name: string, cmd: Command) => {
    names.push(name);
    accepted.set(name, new Set(cmd.options.map((o) => o.long ?? '')));
  };
  for (const cmd of program.commands) {
    for (const sub of cmd.commands) learn(`${cmd.name()} ${sub.name()}`, sub);
    for (const name of [cmd.name(), ...cmd.aliases()]) learn(name, cmd);
  }
  // A suggestion, not prose ("not a dbdoctor history table"): quoted in backquotes, at the
  // start of a line or of a `fix:`/`next:` text, or after "run"/"then".
  commandPattern = new RegExp(
    `(?<=^|\\n|: |\`|\\brun |\\bthen )dbdoctor (${names.join('|')})(?![\\w-])([^\`\\n]*)(\`?)`,
    'g',
  );
}

/**
 * Remembers the options of this run that suggestions must repeat: those given on the command
 * line (a config file, `DATABASE_URL` or `.env` is found again by the suggested command).
 */
export function carryOptions(cmd: Command, opts: Record<string, unknown>): void {
  carried = [];
  for (const [key, flag] of CARRIED) {
    const value = opts[key];
    if (typeof value !== 'string' || cmd.getOptionValueSourceWithGlobals(key) !== 'cli') continue;
    // `schema --format` and `pull --format` are their output's format, not the folder's layout.
    if (key === 'format' && !formatNamesLayout(cmd)) continue;
    carried.push({ flag, value: key === 'url' ? maskedUrl(value) : value });
  }
}

/**
 * `text` with the remembered options added to every `dbdoctor <command>` it suggests, leaving
 * out any the suggestion already names and any the command does not take. In backquotes they
 * go at the end (`dbdoctor resolve 003 --applied --dir db`); in running text, right after the
 * command's name, where the suggestion's end is not known (options may come before arguments).
 */
export function withCarriedOptions(text: string): string {
  if (carried.length === 0 || commandPattern === null || !text.includes('dbdoctor ')) return text;
  return text.replace(commandPattern, (_all, command: string, rest: string, tick: string) => {
    const takes = accepted.get(command);
    const extra = carried
      .filter((c) => takes?.has(c.flag) === true)
      .filter((c) => !new RegExp(`(^|\\s)${c.flag}(\\s|=|$)`).test(rest))
      .map((c) => ` ${c.flag} ${shellWord(c.value)}`)
      .join('');
    // The suggestion ends where the backquote closes, or where nothing but arguments follow
    // (`dbdoctor stamp 001` as a whole `fix`); otherwise prose follows and its end is unknown.
    const whole = tick === '`' || /^(?:\s+[^\s();,|.]+(?:\.[^\s();,|.]+)*)*\s*$/.test(rest);
    return whole
      ? `dbdoctor ${command}${rest.trimEnd()}${extra}${rest.slice(rest.trimEnd().length)}${tick}`
      : `dbdoctor ${command}${extra}${rest}${tick}`;
  });
}

/** Every string in a JSON-bound value passed through {@link withCarriedOptions}. */
export function carriedInJson(value: unknown): unknown {
  if (typeof value === 'string') return withCarriedOptions(value);
  if (Array.isArray(value)) return value.map(carriedInJson);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    const from = value as Record<string, unknown>;
    // Object.keys, not Object.entries: `status --json` passes thousands of values, one pair array each.
    for (const k of Object.keys(from)) out[k] = carriedInJson(from[k]);
    return out;
  }
  return value;
}
