#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import '../dialects/builtin.js';
import { register as registerAdopt } from './adopt.js';
import { register as registerApply } from './apply.js';
import { register as registerBackup } from './backup.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerDown } from './down.js';
import { addExamples } from './examples.js';
import { register as registerGenerate } from './generate.js';
import { register as registerHistory } from './history.js';
import { register as registerInit } from './init.js';
import { register as registerLint } from './lint.js';
import { register as registerNew } from './new.js';
import { reportError, writeOut } from './output.js';
import { register as registerPull } from './pull.js';
import { register as registerResolve } from './resolve.js';
import { register as registerSchema } from './schema.js';
import { register as registerSessions } from './sessions.js';
import { register as registerSql } from './sql.js';
import { register as registerStamp } from './stamp.js';
import { register as registerStatus } from './status.js';
import { learnCommands } from './suggest.js';

/**
 * A reader that closes the pipe early (`dbdoctor help apply | head -3`) ends the output, not
 * the command: later writes are dropped (EPIPE, or the stream already destroyed), the command
 * finishes what it was doing (a migration is never cut off half-way) and exits with its own
 * code, without a stack. Any other stream error is still thrown.
 */
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

const program = new Command('dbdoctor')
  .description(
    'Schema migrations for SQLite, PostgreSQL and MySQL/MariaDB that know where your database really is.',
  )
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of [
  registerInit,
  registerNew,
  registerStatus,
  registerHistory,
  registerApply,
  registerDown,
  registerStamp,
  registerResolve,
  registerSql,
  registerBackup,
  registerDoctor,
  registerLint,
  registerSchema,
  registerPull,
  registerGenerate,
  registerSessions,
  registerAdopt,
]) {
  register(program);
}
learnCommands(program);
addExamples(program);
// Subcommands (e.g. `sessions sweep`) need the override too, or commander exits on its own.
const overrideExits = (cmd: Command): void => {
  for (const sub of cmd.commands) {
    sub.exitOverride();
    overrideExits(sub);
  }
};
overrideExits(program);

const json = process.argv.includes('--json');
if (json) {
  // --json promises exactly one document on stdout: what a migration's own code logs goes to stderr.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version are successes; every other parse failure is bad usage (exit 2).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    if (json && e.exitCode !== 0) {
      const message = e.message.replace(/^error: /, '');
      writeOut(
        `${JSON.stringify({ ok: false, error: { code: 'BAD_USAGE', message, hint: 'Run with --help for usage.' } }, null, 2)}\n`,
      );
    }
  } else {
    // Thrown while parsing, outside every action's wrapper (an option's own parser, such as
    // adopt's --map): the same message, exit code and JSON document as inside one.
    process.exitCode = reportError(e, json);
  }
}
