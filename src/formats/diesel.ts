import fs from 'node:fs';
import path from 'node:path';
import { entryPath } from '../migrations/files.js';
import {
  type Draft,
  entriesOf,
  finish,
  hidden,
  isDir,
  isFile,
  type MigrationFormat,
  readSql,
  section,
  type Uncovered,
  uncovered,
} from './format.js';

/** `run_in_transaction = false` in a migration's metadata.toml (the one key diesel reads). */
function runsInTransaction(folder: string): boolean {
  const file = path.join(folder, 'metadata.toml');
  if (!isFile(file)) return true;
  const m = /^\s*run_in_transaction\s*=\s*(true|false)\s*(#.*)?$/m.exec(fs.readFileSync(file, 'utf8'));
  return m ? m[1] === 'true' : true;
}

/**
 * Diesel: `migrations/<version>_<name>/up.sql` and `down.sql`, the version being the folder
 * name's part before the first `_` with its dashes removed (diesel's `version_from_string`:
 * `2017-01-01-000000` is `20170101000000`). Each migration runs in its own transaction
 * unless its `metadata.toml` says `run_in_transaction = false`.
 */
export const diesel: MigrationFormat = {
  name: 'diesel',
  defaultDirs: ['migrations'],
  detect(dir) {
    // A folder first: `<file>/up.sql` fails with ENOTDIR, an exception per migration file.
    return entriesOf(dir).some((e) => isDir(entryPath(dir, e)) && isFile(path.join(dir, e, 'up.sql')));
  },
  list(dir) {
    const drafts: Draft[] = [];
    const stray: Uncovered[] = [];
    for (const entry of entriesOf(dir)) {
      if (hidden(entry)) continue;
      const folder = path.join(dir, entry);
      const m = /^([\d-]+)_(.+)$/.exec(entry);
      if (!isDir(folder) || !m) {
        stray.push(
          uncovered(
            dir,
            entry,
            'Diesel migrations are folders named <version>_<name> holding up.sql and down.sql',
          ),
        );
        continue;
      }
      for (const inner of entriesOf(folder)) {
        if (!['up.sql', 'down.sql', 'metadata.toml'].includes(inner) && !hidden(inner))
          stray.push(
            uncovered(dir, path.join(entry, inner), 'Diesel reads up.sql, down.sql and metadata.toml only'),
          );
      }
      const upFile = path.join(folder, 'up.sql');
      if (!isFile(upFile)) {
        stray.push({ path: entry, reason: 'a migration folder without up.sql', blocking: true });
        continue;
      }
      const up = { file: upFile, ...readSql(upFile, path.join(entry, 'up.sql')) };
      const downFile = path.join(folder, 'down.sql');
      const down = isFile(downFile)
        ? { file: downFile, ...readSql(downFile, path.join(entry, 'down.sql')) }
        : null;
      const tx = runsInTransaction(folder);
      drafts.push({
        id: m[1]!.replace(/-/g, ''),
        name: m[2]!,
        file: upFile,
        parts: [up, ...(down ? [down] : [])],
        text: up.text,
        sections: { up: section(up.text, tx), down: down ? section(down.text, tx) : null },
      });
    }
    return finish('diesel', dir, drafts, stray);
  },
  scaffold(id, name) {
    const v = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}-${id.slice(8)}`;
    return { [path.join(`${v}_${name}`, 'up.sql')]: '', [path.join(`${v}_${name}`, 'down.sql')]: '' };
  },
};
