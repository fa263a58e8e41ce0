import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { doctor } from '../../src/doctor/doctor.js';
import { migrate } from '../../src/migrations/apply.js';
import { introspect } from '../../src/migrations/introspect.js';
import { fingerprint } from '../../src/schema/fingerprint.js';
import {
  createTestDatabase,
  DIALECTS,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CORPUS = path.resolve(ROOT, '../shared/corpus');

/** A migration project to load, from the examples or the shared corpus. */
interface Project {
  name: string;
  dialect: TestDialect;
  files: Record<string, string>;
  /** PostgreSQL schema the project's tables live in. */
  schema?: string;
  /** What SOURCE.md says the loaded schema has, to prove the load really happened. */
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

function exampleProjects(): Project[] {
  const projects: Project[] = [];
  for (const example of fs.readdirSync(path.join(ROOT, 'examples'))) {
    for (const dialect of DIALECTS) {
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

function corpusProjects(): Project[] {
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
  return [
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
    {
      name: 'corpus/vaultwarden',
      dialect: 'postgres',
      files: vaultwarden('postgresql'),
      tables: 28,
    },
  ];
}

const projects = [...exampleProjects(), ...(fs.existsSync(CORPUS) ? corpusProjects() : [])];
if (!fs.existsSync(CORPUS))
  console.log(`# corpus round trips skipped: ${CORPUS} is not present on this machine`);

describe('round trip: migrate, introspect, fingerprint, doctor', () => {
  const databases: TestDatabase[] = [];
  after(async () => {
    for (const db of databases) await db.drop();
  });

  for (const project of projects) {
    it(`${project.name} on ${project.dialect}: two introspections agree and a fresh database shows no drift`, async () => {
      const db = await createTestDatabase(project.dialect);
      databases.push(db);
      const dir = writeMigrations(db.dir, project.files);
      const ids = Object.keys(project.files)
        .map((f) => f.slice(0, f.indexOf('_')))
        .sort();
      await migrate({ database: db.url, dir, backup: { enabled: false } });

      const first = await introspect({ database: db.url, schema: project.schema });
      const second = await introspect({ database: db.url, schema: project.schema });
      assert.equal(fingerprint(first), fingerprint(second));
      assert.deepEqual(first, second);
      if (project.tables >= 0) assert.equal(Object.keys(first.tables).length, project.tables);
      else assert.ok(Object.keys(first.tables).length > 0);
      project.check?.(first);

      const result = await doctor({ database: db.url, dir, schema: project.schema, cacheDir: false });
      assert.deepEqual(result.drift, [], JSON.stringify(result.drift.slice(0, 5), null, 2));
      assert.equal(result.matches, ids.at(-1));
      assert.equal(result.fingerprint, fingerprint(first));
      assert.deepEqual(
        result.findings.filter((f) => f.severity === 'error'),
        [],
      );
    });
  }
});
