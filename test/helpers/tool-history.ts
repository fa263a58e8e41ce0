import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { rawQuery, type TestDatabase } from './databases.js';

/**
 * Other tools' history tables, created with the DDL each tool runs (from the tools' sources
 * and documentation: dbmate, golang-migrate's postgres and sqlite3 drivers, Prisma's schema
 * engine, drizzle-orm's migrators, Flyway's createMetaDataTable.sql, goose's dialect queries,
 * sqlx-postgres / sqlx-sqlite migrate.rs, diesel_migrations, Knex, Alembic), and filled as
 * the tool fills them after running migrations.
 */
export type Tool =
  | 'dbmate'
  | 'golang-migrate'
  | 'prisma'
  | 'drizzle'
  | 'flyway'
  | 'goose'
  | 'sqlx'
  | 'diesel'
  | 'knex'
  | 'alembic';

const DDL: Record<Tool, Partial<Record<TestDatabase['dialect'], string[]>>> = {
  dbmate: {
    sqlite: ['create table if not exists "schema_migrations" (version varchar(128) primary key)'],
    postgres: ['create table if not exists public.schema_migrations (version varchar(128) primary key)'],
    mysql: ['create table if not exists schema_migrations (version varchar(128) primary key)'],
  },
  'golang-migrate': {
    sqlite: [
      'CREATE TABLE IF NOT EXISTS schema_migrations (version uint64,dirty bool)',
      'CREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version)',
    ],
    postgres: [
      'CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)',
    ],
    mysql: [
      'CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)',
    ],
  },
  prisma: {
    sqlite: [
      'CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)',
    ],
    postgres: [
      'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"))',
    ],
    mysql: [
      'CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3), migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3), started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
    ],
  },
  drizzle: {
    sqlite: [
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
    ],
    postgres: [
      'CREATE SCHEMA IF NOT EXISTS "drizzle"',
      'CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)',
    ],
    mysql: [
      'create table if not exists `__drizzle_migrations` (id serial primary key, hash text not null, created_at bigint)',
    ],
  },
  flyway: {
    sqlite: [
      `CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL)`,
      'CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success")',
    ],
    postgres: [
      'CREATE TABLE "public"."flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)',
      'ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank")',
      'CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success")',
    ],
    mysql: [
      'CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOL NOT NULL, CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank)) ENGINE=InnoDB',
      'CREATE INDEX flyway_schema_history_s_idx ON flyway_schema_history (success)',
    ],
  },
  goose: {
    sqlite: [
      "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))",
      'INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)',
    ],
    postgres: [
      'CREATE TABLE goose_db_version (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NOT NULL DEFAULT now())',
      'INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true)',
    ],
    mysql: [
      'CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))',
      'INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1)',
    ],
  },
  sqlx: {
    sqlite: [
      'CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)',
    ],
    postgres: [
      'CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)',
    ],
    mysql: [
      'CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)',
    ],
  },
  diesel: {
    sqlite: [
      'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    ],
    postgres: [
      'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    ],
    mysql: [
      'CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    ],
  },
  knex: {
    sqlite: [
      'create table `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)',
    ],
    postgres: [
      'create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz)',
    ],
    mysql: [
      'create table `knex_migrations` (`id` int unsigned not null auto_increment primary key, `name` varchar(255), `batch` int, `migration_time` timestamp NULL)',
    ],
  },
  alembic: {
    sqlite: [
      'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
    ],
    postgres: [
      'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
    ],
    mysql: [
      'CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))',
    ],
  },
};

/** The table each tool keeps, as `SELECT COUNT(*) FROM` names it on `dialect`. */
export function toolTable(tool: Tool, dialect: TestDatabase['dialect']): string {
  const names: Record<Tool, string> = {
    dbmate: 'schema_migrations',
    'golang-migrate': 'schema_migrations',
    prisma: '_prisma_migrations',
    drizzle: dialect === 'postgres' ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations',
    flyway: 'flyway_schema_history',
    goose: 'goose_db_version',
    sqlx: '_sqlx_migrations',
    diesel: '__diesel_schema_migrations',
    knex: 'knex_migrations',
    alembic: 'alembic_version',
  };
  return names[tool];
}

/** Creates the tool's history table on `db`, as the tool does on its first run. */
export async function createToolTable(db: TestDatabase, tool: Tool): Promise<void> {
  const ddl = DDL[tool][db.dialect];
  if (!ddl) throw new Error(`no ${tool} history table written for ${db.dialect} in this helper`);
  for (const sql of ddl) await rawQuery(db, sql);
}

/** Flyway's checksum, computed as Flyway does: CRC-32 over each line's UTF-8 bytes, no line ends. */
function flywayCrc(text: string): number {
  let crc = 0;
  for (const line of text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/))
    crc = zlib.crc32(Buffer.from(line, 'utf8'), crc);
  return crc | 0;
}

const bool = (db: TestDatabase, v: boolean) => (db.dialect === 'postgres' ? v : v ? 1 : 0);
const p = (db: TestDatabase, n: number) => (db.dialect === 'postgres' ? `$${n}` : '?');
/** A time as the tool's driver sends it: MySQL's DATETIME/TIMESTAMP take no ISO 'T' or 'Z'. */
const at = (db: TestDatabase, d: Date) =>
  db.dialect === 'mysql' ? d.toISOString().replace('T', ' ').replace('Z', '') : d.toISOString();

/** One migration as a tool records it: `project` is the copied fixture, `rel` the up file. */
export interface Ran {
  /** The tool's version / folder / tag. */
  version: string;
  /** The migration file (the up file), relative to the project. */
  file: string;
  /** As the tool marks a failure (`success = false`, `dirty`, finished_at NULL, rolled back). */
  failed?: boolean;
}

/** Records `ran` in the tool's table exactly as the tool would after running them. */
export async function recordAsTool(db: TestDatabase, tool: Tool, project: string, ran: Ran[]): Promise<void> {
  const text = (r: Ran) => fs.readFileSync(path.join(project, r.file));
  for (const [i, r] of ran.entries()) {
    switch (tool) {
      case 'dbmate':
        await rawQuery(db, `insert into schema_migrations (version) values (${p(db, 1)})`, [r.version]);
        break;
      case 'golang-migrate':
        // One row: the last version and whether it failed part-way.
        if (i === ran.length - 1)
          await rawQuery(
            db,
            `INSERT INTO schema_migrations (version, dirty) VALUES (${p(db, 1)}, ${p(db, 2)})`,
            [Number(r.version), bool(db, r.failed === true)],
          );
        break;
      case 'prisma':
        await rawQuery(
          db,
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (${p(db, 1)}, ${p(db, 2)}, ${p(db, 3)}, ${p(db, 4)}, NULL, NULL, ${p(db, 5)}, ${p(db, 6)})`,
          [
            randomUUID(),
            createHash('sha256').update(text(r)).digest('hex'),
            r.failed ? null : at(db, new Date(Date.UTC(2024, 0, 1, 0, 0, i))),
            r.version,
            at(db, new Date(Date.UTC(2024, 0, 1, 0, 0, i))),
            r.failed ? 0 : 1,
          ],
        );
        break;
      case 'drizzle': {
        const journal = JSON.parse(
          fs.readFileSync(path.join(project, path.dirname(r.file), 'meta', '_journal.json'), 'utf8'),
        ) as { entries: { tag: string; when: number }[] };
        const when = journal.entries.find((e) => e.tag === r.version)!.when;
        await rawQuery(
          db,
          `INSERT INTO ${toolTable(tool, db.dialect)} (${db.dialect === 'sqlite' ? 'id, ' : ''}hash, created_at) VALUES (${db.dialect === 'sqlite' ? `${i + 1}, ` : ''}${p(db, 1)}, ${p(db, 2)})`,
          [createHash('sha256').update(text(r).toString('utf8')).digest('hex'), when],
        );
        break;
      }
      case 'flyway': {
        const repeatable = r.version.startsWith('R__');
        const description = path
          .basename(r.file)
          .replace(/^(V[\d._]+|R)__/, '')
          .replace(/\.sql$/, '')
          .replace(/_/g, ' ');
        await rawQuery(
          db,
          `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (${p(db, 1)}, ${p(db, 2)}, ${p(db, 3)}, 'SQL', ${p(db, 4)}, ${p(db, 5)}, 'postgres', 12, ${p(db, 6)})`,
          [
            i + 1,
            repeatable ? null : r.version,
            description,
            path.basename(r.file),
            flywayCrc(text(r).toString('utf8')),
            bool(db, r.failed !== true),
          ],
        );
        break;
      }
      case 'goose':
        await rawQuery(
          db,
          `INSERT INTO goose_db_version (version_id, is_applied) VALUES (${p(db, 1)}, ${p(db, 2)})`,
          [Number(r.version), bool(db, true)],
        );
        break;
      case 'sqlx':
        await rawQuery(
          db,
          `INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (${p(db, 1)}, ${p(db, 2)}, ${p(db, 3)}, ${p(db, 4)}, -1)`,
          [
            Number(r.version),
            path
              .basename(r.file)
              .replace(/^\d+_/, '')
              .replace(/\.(up\.)?sql$/, '')
              .replace(/_/g, ' '),
            bool(db, r.failed !== true),
            createHash('sha384').update(text(r)).digest(),
          ],
        );
        break;
      case 'diesel':
        await rawQuery(db, `INSERT INTO __diesel_schema_migrations (version) VALUES (${p(db, 1)})`, [
          r.version,
        ]);
        break;
      case 'knex':
        await rawQuery(
          db,
          `insert into knex_migrations (name, batch, migration_time) values (${p(db, 1)}, 1, ${p(db, 2)})`,
          [r.version, at(db, new Date())],
        );
        break;
      case 'alembic':
        // Alembic keeps only the head.
        if (i === ran.length - 1)
          await rawQuery(db, `INSERT INTO alembic_version (version_num) VALUES (${p(db, 1)})`, [r.version]);
        break;
    }
  }
}
