import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  type Draft,
  entriesOf,
  finish,
  hidden,
  isDir,
  type MigrationFormat,
  readSql,
  section,
  type Uncovered,
  uncovered,
} from './format.js';

const VERSIONED = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const UNDO = /^U(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;

/**
 * Flyway's checksum of a SQL migration: the CRC-32 of its lines' UTF-8 bytes, line endings
 * left out (Java's BufferedReader.readLine) and a byte-order mark dropped, as a signed 32-bit
 * integer. Stored in `flyway_schema_history.checksum`.
 */
export function flywayChecksum(text: string): number {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let crc = 0;
  for (const line of body.split(/\r\n|\r|\n/)) crc = zlib.crc32(Buffer.from(line, 'utf8'), crc);
  return crc | 0;
}

/** `executeInTransaction=false` in a script's `<file>.conf` (Flyway's script config file). */
function executeInTransaction(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(`${file}.conf`, 'utf8');
  } catch {
    return true;
  }
  const m = /^\s*executeInTransaction\s*=\s*(true|false)\s*$/m.exec(text);
  return m ? m[1] === 'true' : true;
}

/** Flyway's version: parts split by `.` or `_`, leading zeros kept (1.01 and 1.1 are one). */
function versionOf(raw: string): string {
  return raw.replace(/_/g, '.');
}

/**
 * Flyway: `V<version>__<description>.sql` applied once in version order, `U<version>__…` its
 * undo (the down), `R__<description>.sql` repeatables re-run whenever their checksum changes,
 * after every versioned migration, in description order; subfolders are read too. Each
 * script runs in its own transaction unless `<script>.conf` says `executeInTransaction=false`.
 */
export const flyway: MigrationFormat = {
  name: 'flyway',
  defaultDirs: ['sql', 'src/main/resources/db/migration', 'db/migration'],
  detect(dir) {
    // Its own files at the top of the folder: a project tree holding fixtures deep down is not one.
    return entriesOf(dir).some((e) => VERSIONED.test(e) || REPEATABLE.test(e));
  },
  list(dir) {
    const stray: Uncovered[] = [];
    const undo = new Map<string, { file: string; bytes: Buffer; text: string }>();
    const found: { rel: string; file: string; kind: 'V' | 'R'; version: string; desc: string }[] = [];
    for (const rel of walk(dir)) {
      const base = path.basename(rel);
      const file = path.join(dir, rel);
      if (base.endsWith('.sql.conf')) continue;
      const v = VERSIONED.exec(base);
      const u = UNDO.exec(base);
      const r = REPEATABLE.exec(base);
      if (v) found.push({ rel, file, kind: 'V', version: versionOf(v[1]!), desc: v[2]! });
      else if (r) found.push({ rel, file, kind: 'R', version: '', desc: r[1]! });
      else if (u) undo.set(versionOf(u[1]!), { file, ...readSql(file, rel) });
      else
        stray.push(
          uncovered(
            dir,
            rel,
            'Flyway reads V<version>__<description>.sql, U<version>__….sql and R__<description>.sql',
          ),
        );
    }
    const drafts: Draft[] = [];
    for (const f of found) {
      const read = { file: f.file, ...readSql(f.file, f.rel) };
      const tx = executeInTransaction(f.file);
      const down = f.kind === 'V' ? undo.get(f.version) : undefined;
      if (down) undo.delete(f.version);
      drafts.push({
        id: f.kind === 'V' ? f.version : `R__${f.desc}`,
        name: f.desc,
        file: f.file,
        parts: [read, ...(down ? [down] : [])],
        text: read.text,
        sections: {
          up: section(read.text, tx),
          down: down ? section(down.text, executeInTransaction(down.file)) : null,
        },
        ...(f.kind === 'R' ? { repeatable: true } : {}),
        toolChecksum: String(flywayChecksum(read.text)),
      });
    }
    for (const [version, u] of undo)
      stray.push({
        path: path.relative(dir, u.file),
        reason: `an undo migration for version ${version}, which has no V${version}__ file`,
        blocking: true,
      });
    return finish('flyway', dir, drafts, stray);
  },
  scaffold(id, name) {
    return { [`V${id}__${name}.sql`]: '' };
  },
  nextId(existing) {
    let top = 0n;
    for (const f of existing)
      if (!f.repeatable && /^\d+$/.test(f.id) && BigInt(f.id) > top) top = BigInt(f.id);
    return String(top + 1n);
  },
};

/** Every file under `dir`, relative, subfolders included (Flyway scans its locations recursively). */
function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of entriesOf(path.join(dir, rel))) {
    if (hidden(entry) || entry === 'node_modules') continue;
    const r = path.join(rel, entry);
    if (isDir(path.join(dir, r))) out.push(...walk(dir, r));
    else out.push(r);
  }
  return out;
}
