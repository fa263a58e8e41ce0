#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { register as registerApply } from './apply.js';
import { register as registerBackup } from './backup.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerDown } from './down.js';
import { register as registerHistory } from './history.js';
import { register as registerInit } from './init.js';
import { register as registerLint } from './lint.js';
import { register as registerNew } from './new.js';
import { register as registerResolve } from './resolve.js';
import { register as registerSchema } from './schema.js';
import { register as registerSessions } from './sessions.js';
import { register as registerSql } from './sql.js';
import { register as registerStamp } from './stamp.js';
import { register as registerStatus } from './status.js';

const program = new Command('dbdoctor')
  .description('Schema migrations for SQLite and PostgreSQL that know where your database really is.')
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
  registerSessions,
]) {
  register(program);
}
// Subcommands (e.g. `sessions sweep`) need the override too, or commander exits on its own.
const overrideExits = (cmd: Command): void => {
  for (const sub of cmd.commands) {
    sub.exitOverride();
    overrideExits(sub);
  }
};
overrideExits(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version are successes; every other parse failure is bad usage (exit 2).
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    throw e;
  }
}
