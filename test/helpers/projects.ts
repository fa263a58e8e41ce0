/**
 * Migration projects to test against: every example (examples/<name>/<dialect>) and, where the
 * shared corpus is present on the machine, its real-world schemas.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import '../../src/dialects/builtin.js';
import { dialectNamed } from '../../src/dialects/registry.js';
import type { introspect } from '../../src/migrations/introspect.js';
import { DIALECTS, type TestDialect } from './databases.js';

/**
 * The dialects under test that write and read schema SQL (the contract's optional `schemaSql`
 * role, which pull, dump, generate and diff need); the others are named, so a run says what it
 * left out.
 */
export const SCHEMA_SQL_DIALECTS: readonly TestDialect[] = DIALECTS.filter(
  (d) => dialectNamed(d).schemaSql !== undefined,
);
for (const d of DIALECTS) {
  if (!SCHEMA_SQL_DIALECTS.includes(d))
    console.log(`# schema-as-code tests skipped on ${d}: the dialect has no schemaSql role yet`);
}

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The shared corpus of public schemas (present only on the project's machines). */
export const CORPUS = path.resolve(ROOT, '../shared/corpus');

/** A migration project: files by name, the dialect, the PostgreSQL schema its tables live in. */
export interface Project {
  name: string;
  dialect: TestDialect;
  files: Record<string, string>;
  schema?: string;
  /** What SOURCE.md says the loaded schema has, to prove the load really happened (-1: any). */
  tables: number;
  check?: (s: Awaited<ReturnType<typeof introspect>>) => void;
}

const up = (sql: string) => `-- migrate:up\n${sql}\n`;
/** pg_dump empties search_path for its session; the runner's own history table needs one. */
const dumpSql = (sql: string) =>
  sql.replace(
    "SELECT pg_catalog.set_config('search_path', '', false);",
    "SELECT pg_catalog.set_config('search_path', 'public', false);",
  );

/** Every example project, both dialects where it has them. */
export function exampleProjects(dialects: readonly TestDialect[] = SCHEMA_SQL_DIALECTS): Project[] {
  const projects: Project[] = [];
  for (const example of fs.readdirSync(path.join(ROOT, 'examples')).sort()) {
    for (const dialect of dialects) {
      const dir = path.join(ROOT, 'examples', example, dialect);
      if (!fs.existsSync(dir)) continue;
      const files = Object.fromEntries(
        fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
      );
      projects.push({ name: `examples/${example}`, dialect, files, tables: -1 });
    }
  }
  return projects;
}

/**
 * Schemas kept in this repository (test/fixtures/schemas), for what the shared corpus has
 * none of, of the schema-SQL dialects this run tests.
 */
export function fixtureProjects(): Project[] {
  const read = (f: string) => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'schemas', f), 'utf8');
  const projects: Project[] = [
    // The shared corpus holds no MySQL schema: this one has each kind of object on MySQL.
    {
      name: 'fixtures/mysql-kinds',
      dialect: 'mysql',
      files: { '001_kinds.sql': up(read('mysql-kinds.sql')) },
      tables: 3,
    },
    // Details each of which schema.sql must write back exactly (defaults, names, index kinds).
    {
      name: 'fixtures/mysql-edges',
      dialect: 'mysql',
      files: { '001_edges.sql': up(read('mysql-edges.sql')) },
      tables: 3,
    },
    // MariaDB's system-versioned tables and application-time periods, INVISIBLE and ZEROFILL columns.
    {
      name: 'fixtures/mariadb-temporal',
      dialect: 'mysql',
      files: { '001_temporal.sql': up(read('mariadb-temporal.sql')) },
      tables: 4,
    },
  ];
  return projects.filter((p) => SCHEMA_SQL_DIALECTS.includes(p.dialect));
}

/**
 * The corpus's schemas as migration projects of the dialects this run tests, or none (with the
 * reason) when the corpus is absent.
 */
export function corpusProjects(): { projects: Project[]; skipped: string | null } {
  if (!fs.existsSync(CORPUS)) return { projects: [], skipped: `${CORPUS} is not present on this machine` };
  const read = (...p: string[]) => fs.readFileSync(path.join(CORPUS, ...p), 'utf8');
  const vaultwarden = (folder: string): Record<string, string> =>
    Object.fromEntries(
      fs
        .readdirSync(path.join(CORPUS, 'vaultwarden-migrations', folder))
        .sort()
        .map((f, i) => [
          `${String(i + 1).padStart(3, '0')}_${f.replace(/\.up\.sql$/, '').replace(/^[0-9-]+_/, '')}.sql`,
          up(read('vaultwarden-migrations', folder, f)),
        ]),
    );
  const chinookPg = read('chinook', 'Chinook_PostgreSql.sql');
  const projects: Project[] = [
    {
      name: 'corpus/chinook',
      dialect: 'sqlite',
      files: { '001_chinook.sql': up(read('chinook', 'Chinook_Sqlite.sql')) },
      tables: 11,
    },
    {
      name: 'corpus/chinook',
      dialect: 'postgres',
      files: {
        '001_chinook.sql': up(chinookPg.slice(chinookPg.indexOf('\\c chinook;') + '\\c chinook;'.length)),
      },
      tables: 11,
    },
    {
      name: 'corpus/pagila',
      dialect: 'postgres',
      files: { '001_pagila.sql': up(dumpSql(read('pagila', 'pagila-schema.sql'))) },
      // 15 tables plus payment's 7 partitions, which are tables of their own (issue 10).
      tables: 22,
    },
    {
      name: 'corpus/simplexmq agent',
      dialect: 'sqlite',
      files: {
        '001_agent.sql': up(
          read('simplexmq', 'agent_schema.sqlite.sql')
            .split('\n')
            .filter((l) => !l.startsWith('CREATE TABLE sqlite_sequence'))
            .join('\n'),
        ),
      },
      tables: 34,
      check: (s) => {
        const tables = Object.values(s.tables);
        assert.ok(
          tables.every((t) => t.options.includes('strict')),
          'every table is STRICT',
        );
        assert.equal(tables.filter((t) => t.options.includes('without rowid')).length, 13);
      },
    },
    {
      name: 'corpus/simplexmq server',
      dialect: 'postgres',
      schema: 'smp_server',
      files: { '001_server.sql': up(dumpSql(read('simplexmq', 'server_schema.pg.sql'))) },
      tables: -1,
    },
    { name: 'corpus/vaultwarden', dialect: 'sqlite', files: vaultwarden('sqlite'), tables: 28 },
    { name: 'corpus/vaultwarden', dialect: 'postgres', files: vaultwarden('postgresql'), tables: 28 },
  ];
  return { projects: projects.filter((p) => SCHEMA_SQL_DIALECTS.includes(p.dialect)), skipped: null };
}

/** A project folder whose generated migrations can import 'dbdoctor' (this package, built). */
export function linkPackage(dir: string): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const link = path.join(dir, 'node_modules', 'dbdoctor');
  if (!fs.existsSync(link)) fs.symlinkSync(ROOT, link);
}
