import { conceal } from '../config/url.js';
import { maskSecretsInSql as withoutPasswords } from '../dialects/registry.js';
import { DbDoctorError, errorMessage } from '../errors.js';
import { carriedInJson, withCarriedOptions } from './suggest.js';

/** Codes that mean the command line (or the URL it names) is wrong: exit 2, not 1. */
const USAGE_CODES = new Set(['BAD_USAGE', 'BAD_URL', 'BAD_DURATION', 'CONFIG_INVALID', 'DATABASE_NOT_NAMED']);

let secrets: readonly string[] = [];

/**
 * Registers the secrets of the database URL in use. Messages are built from the parsed URL
 * and never hold them; this is the last guard, for a driver's text quoted in an error.
 */
export function concealInOutput(found: readonly string[]): void {
  secrets = found;
}

/** Writes to stdout with the registered secrets concealed. */
export function writeOut(text: string): void {
  process.stdout.write(conceal(text, secrets));
}

/**
 * Writes to stderr with the registered secrets concealed; the commands it suggests repeat the
 * user's --dir, --url (masked) and --history-table (see suggest.ts).
 */
export function writeErr(text: string): void {
  process.stderr.write(conceal(withCarriedOptions(text), secrets));
}

/** Thrown by commands to end with an exit code without printing anything more. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Prints the command's result: one JSON document on stdout (with `ok`: true unless the
 * document says otherwise), or the human text on stdout. Suggested commands in either repeat
 * the user's options (see suggest.ts).
 */
export function emit(json: boolean, doc: object, text: () => string): void {
  print(json, doc, text, true);
}

/**
 * Like {@link emit}, for output that is content the user keeps or runs (SQL, a schema file, a
 * migration's code): printed exactly as produced, never with the user's options added to the
 * `dbdoctor …` commands it happens to mention.
 */
export function emitContent(json: boolean, doc: object, text: () => string): void {
  print(json, doc, text, false);
}

/** One JSON document with `ok`, or the text ending in a newline; `carry`: see suggest.ts. */
function print(json: boolean, doc: object, text: () => string, carry: boolean): void {
  const withOk = { ok: true, ...doc };
  if (json) writeOut(`${JSON.stringify(carry ? carriedInJson(withOk) : withOk, null, 2)}\n`);
  else {
    const t = carry ? withCarriedOptions(text()) : text();
    if (t) writeOut(t.endsWith('\n') ? t : `${t}\n`);
  }
}

/** Prints an error (stderr for people; stdout too with --json) and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  const e = error instanceof DbDoctorError ? withoutStatementPasswords(error) : error;
  const usage = e instanceof DbDoctorError && USAGE_CODES.has(e.code);
  if (e instanceof DbDoctorError) {
    const lines = [`error [${e.code}]: ${e.message}`];
    if (e.unchanged) lines.push(`  ${e.unchanged}`);
    if (e.hint) lines.push(`  next: ${e.hint.split('\n').join('\n        ')}`);
    writeErr(`${lines.join('\n')}\n`);
    if (json) writeOut(`${JSON.stringify(carriedInJson({ ok: false, error: e.toJSON() }), null, 2)}\n`);
  } else {
    writeErr(`error [INTERNAL]: ${errorMessage(e)}\n${(e as Error)?.stack ?? ''}\n`);
    if (json)
      writeOut(`${JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: errorMessage(e) } })}\n`);
  }
  return usage ? 2 : 1;
}

/**
 * `e` with the password literal of the failing statement it quotes (`CREATE ROLE … PASSWORD
 * '…'`, in `details.statement` and in the message's `statement:` part) shown as '***': the
 * statement is the user's, and may create a role. Every registered dialect's masking
 * (`EngineSql.maskSecrets`, the same as for the doctor's skipped cluster statements).
 */
function withoutStatementPasswords(e: DbDoctorError): DbDoctorError {
  const statement = e.details.statement;
  // The driver's own message may quote the statement too.
  const databaseError = e.details.databaseError;
  if (typeof databaseError === 'string' && withoutPasswords(databaseError) !== databaseError)
    e = new DbDoctorError(e.code, e.message.split(databaseError).join(withoutPasswords(databaseError)), {
      unchanged: e.unchanged,
      hint: e.hint,
      details: { ...e.details, databaseError: withoutPasswords(databaseError) },
      cause: e.cause,
    });
  if (typeof statement !== 'string' || withoutPasswords(statement) === statement) return e;
  // The message shows the statement (at most its first 400 characters) after "statement: ".
  const at = e.message.indexOf(statement.slice(0, 400));
  const message = at < 0 ? e.message : e.message.slice(0, at) + withoutPasswords(e.message.slice(at));
  return new DbDoctorError(e.code, message, {
    unchanged: e.unchanged,
    hint: e.hint,
    details: { ...e.details, statement: withoutPasswords(statement) },
    cause: e.cause,
  });
}
