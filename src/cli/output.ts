import { DbDoctorError, errorMessage } from '../errors.js';

/** Thrown by commands to end with an exit code without printing anything more. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Prints the command's result: JSON on stdout, or the human text on stdout. */
export function emit(json: boolean, doc: unknown, text: () => string): void {
  if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else {
    const t = text();
    if (t) process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
  }
}

/** Prints an error (stderr for people; stdout too with --json) and returns the exit code. */
export function reportError(e: unknown, json: boolean): number {
  const usage = e instanceof DbDoctorError && e.code === 'BAD_USAGE';
  if (e instanceof DbDoctorError) {
    const lines = [`error [${e.code}]: ${e.message}`];
    if (e.unchanged) lines.push(`  ${e.unchanged}`);
    if (e.hint) lines.push(`  next: ${e.hint.split('\n').join('\n        ')}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: e.toJSON() }, null, 2)}\n`);
  } else {
    process.stderr.write(`error [INTERNAL]: ${errorMessage(e)}\n${(e as Error)?.stack ?? ''}\n`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: errorMessage(e) } })}\n`,
      );
  }
  return usage ? 2 : 1;
}
