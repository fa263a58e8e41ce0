import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_NAME } from '../config/config-file.js';
import { withCommonOptions } from './context.js';
import { emit } from './output.js';
import { action } from './run.js';

/** `dbdoctor init`: creates the migrations folder and a config file. */
export function register(program: Command): void {
  withCommonOptions(program.command('init'), {
    format: false,
    history: false,
    lock: false,
    opensDatabase: false,
  })
    .description('create migrations/ and dbdoctor.config.json in the current folder')
    .action(
      action(async (ctx, opts) => {
        const created: string[] = [];
        const dir = opts.dir ? path.resolve(opts.dir) : path.resolve('migrations');
        if (!fs.existsSync(dir)) {
          fs.mkdirSync(dir, { recursive: true });
          created.push(dir);
        }
        const configFile = path.resolve(opts.config ?? DEFAULT_CONFIG_NAME);
        if (!fs.existsSync(configFile)) {
          const config = {
            url: opts.url ?? 'sqlite:./dbdoctor.sqlite',
            dir: path.relative(path.dirname(configFile), dir) || '.',
          };
          fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
          created.push(configFile);
        }
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
        emit(ctx.json, { created }, () =>
          created.length === 0
            ? 'Already initialised: nothing to create.'
            : `${created.map((c) => `created ${c}`).join('\n')}\nNext: dbdoctor new <name>`,
        );
      }),
    );
}
