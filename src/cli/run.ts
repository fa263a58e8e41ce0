import type { Command } from 'commander';
import { engineOptions, formatNamesLayout, type GlobalOptions, opensDatabase } from './context.js';
import { ExitCode, reportError } from './output.js';
import { carryOptions } from './suggest.js';

/** Context a command's action receives. */
export type Resolved = Awaited<ReturnType<typeof engineOptions>>;

/**
 * Wraps a command action: resolves the shared options, runs it, and turns errors into
 * messages and exit codes (never calling process.exit, so output is flushed).
 */
export function action<A extends unknown[]>(
  fn: (ctx: Resolved, opts: GlobalOptions & Record<string, unknown>, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const positional = args.slice(0, -2) as A;
    carryOptions(cmd, opts);
    try {
      // `schema --format` and `pull --format` are their output's format, not the folder's layout.
      const ctx = await engineOptions(
        formatNamesLayout(cmd) ? opts : { ...opts, format: undefined },
        opensDatabase(cmd),
      );
      await fn(ctx, opts, ...positional);
    } catch (e) {
      process.exitCode = e instanceof ExitCode ? e.code : reportError(e, opts.json ?? false);
    }
  };
}
