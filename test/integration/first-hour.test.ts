import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configJsonSchema } from '../../src/config/config-file.js';
import { cli, createTestDatabase, rawQuery, sqlMigration } from '../helpers/databases.js';

const REPO = path.resolve(import.meta.dirname, '../..');

function tempProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbdoctor-first-hour-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe("a newcomer's first hour", () => {
  it('a dbmate project with a .env naming PostgreSQL: the .env is read, no ./dbdoctor.sqlite appears', async () => {
    const db = await createTestDatabase('postgres');
    const cwd = tempProject({
      '.env': `# dbmate reads this too\nDATABASE_URL="${db.url}"\n`,
      'db/migrations/20240101000001_users.sql': sqlMigration(
        'CREATE TABLE users (id BIGSERIAL PRIMARY KEY, tags JSONB);',
        'DROP TABLE users;',
      ),
    });
    try {
      const r = await cli(['apply'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^database: postgres:\/\//m, 'apply names the database it changes');
      assert.ok(!fs.existsSync(path.join(cwd, 'dbdoctor.sqlite')));
      assert.equal((await rawQuery(db, 'SELECT COUNT(*)::int AS n FROM users'))[0]!.n, 0);
      // The environment wins over .env, as with dbmate and Prisma.
      const other = await cli(['status', '--json'], { cwd, env: { DATABASE_URL: 'sqlite::memory:' } });
      assert.equal(other.json<{ dialect: string }>().dialect, 'sqlite');
    } finally {
      await db.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('PostgreSQL-style SQL and no database named: DATABASE_NOT_NAMED (exit 2), no file created', async () => {
    const projects: Record<string, string>[] = [
      { 'db/migrations/001_users.sql': sqlMigration('CREATE TABLE users (id SERIAL PRIMARY KEY);') },
      {
        'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
        'prisma/migrations/20240101000001_init/migration.sql': 'CREATE TABLE t (id INTEGER);\n',
      },
    ];
    for (const files of projects) {
      const cwd = tempProject(files);
      try {
        for (const command of ['apply', 'status', 'doctor']) {
          const r = await cli([command], { cwd });
          assert.equal(r.code, 2, `${command}: ${r.stderr}`);
          assert.match(r.stderr, /DATABASE_NOT_NAMED.*not written for SQLite/s);
          assert.match(r.stderr, /--url postgres:\/\//);
          assert.ok(!fs.existsSync(path.join(cwd, 'dbdoctor.sqlite')), `${command} created no file`);
        }
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    }
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's literal ${VAR} syntax
  it('${VAR} in the config file is read from the environment or .env; an unset one is CONFIG_INVALID naming the key', async () => {
    const cwd = tempProject({
      'dbdoctor.config.json': JSON.stringify({
        $schema: './dbdoctor.config.schema.json',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's literal ${VAR} syntax
        url: 'sqlite:${DB_FILE}',
      }),
      '.env': 'DB_FILE=./from-env.db\n',
      'migrations/001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER);'),
    });
    try {
      const r = await cli(['apply'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.existsSync(path.join(cwd, 'from-env.db')));
      fs.rmSync(path.join(cwd, '.env'));
      const unset = await cli(['status'], { cwd });
      assert.equal(unset.code, 2);
      assert.match(unset.stderr, /CONFIG_INVALID.*"url" uses \$\{DB_FILE\}, which is not set/s);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('config errors name the key; {"dir": 5} is not INTERNAL; "keep": "many" is refused', async () => {
    for (const [config, message] of [
      [{ dir: 5 }, /"dir" must be a string/],
      [{ backups: { keep: 'many' } }, /"backups\.keep" must be a whole number/],
      [{ format: 'liquibase' }, /"format" must be one of dbmate, prisma/],
      [{ nope: 1 }, /unknown keys: nope/],
    ] as const) {
      const cwd = tempProject({ 'dbdoctor.config.json': JSON.stringify(config) });
      try {
        const r = await cli(['status', '--json'], { cwd });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /INTERNAL|\n\s+at /);
        assert.equal(r.json<{ error: { code: string } }>().error.code, 'CONFIG_INVALID');
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    }
  });

  it('the published JSON Schema is the one the config is checked with', () => {
    const published = JSON.parse(fs.readFileSync(path.join(REPO, 'dbdoctor.config.schema.json'), 'utf8'));
    assert.deepEqual(
      published,
      configJsonSchema(),
      'run `npm run schema` to regenerate dbdoctor.config.schema.json',
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(pkg.files.includes('dbdoctor.config.schema.json'), 'shipped in the package');
  });

  it('a .cjs migration or a Go migration is UNCOVERED_MIGRATION_FILE; a README is not fatal, and status lists it', async () => {
    const db = await createTestDatabase('sqlite');
    for (const [files, name] of [
      [
        {
          'migrations/001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER);'),
          'migrations/002_b.cjs': 'exports.up = 1',
        },
        '002_b.cjs',
      ],
      [
        {
          'migrations/00001_a.sql': '-- +goose Up\nCREATE TABLE a (id INTEGER);\n',
          'migrations/00002_b.go': 'package migrations\n',
        },
        '00002_b.go',
      ],
    ] as const) {
      const cwd = tempProject({ ...files, 'migrations/README.md': '# notes\n' });
      try {
        const r = await cli(['apply', '--url', db.url], { cwd });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`UNCOVERED_MIGRATION_FILE.*${name.replace('.', '\\.')}`, 's'));
        assert.doesNotMatch(r.stderr, /README/);
        fs.rmSync(path.join(cwd, 'migrations', name));
        const ok = await cli(['apply', '--url', db.url], { cwd });
        assert.equal(ok.code, 0, ok.stderr);
        // What the layout does not cover is not run, and status says so: never skipped in silence.
        fs.mkdirSync(path.join(cwd, 'migrations', 'old'));
        const status = await cli(['status', '--url', db.url], { cwd });
        assert.equal(status.code, 0, status.stderr);
        assert.match(
          status.stdout,
          /not run \(the (dbmate|goose) layout does not cover them\): 2\n {2}README\.md: .*\n {2}old: /,
        );
        const doc = (await cli(['status', '--json', '--url', db.url], { cwd })).json<{
          uncovered: { path: string }[];
        }>();
        assert.deepEqual(doc.uncovered.map((u) => u.path).sort(), ['README.md', 'old']);
        await rawQuery(db, 'DROP TABLE a');
        await rawQuery(db, 'DROP TABLE dbdoctor_migrations');
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    }
    await db.drop();
  });

  it('an empty -- migrate:down means "nothing to undo" as in dbmate; no down section has no down', async () => {
    const db = await createTestDatabase('sqlite');
    const cwd = tempProject({
      'migrations/001_a.sql': '-- migrate:up\nCREATE TABLE a (id INTEGER);\n-- migrate:down\n',
      'migrations/002_b.sql': '-- migrate:up\nINSERT INTO a VALUES (1);\n-- migrate:down\n\n',
      'migrations/003_c.sql': '-- migrate:up\nINSERT INTO a VALUES (2);\n',
    });
    try {
      const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
      assert.equal((await run('apply')).code, 0);
      const noDown = await run('down');
      assert.equal(noDown.code, 1);
      assert.match(noDown.stderr, /NO_DOWN.*003_c/s);
      assert.equal((await run('resolve', '003', '--forget')).code, 1, 'its file exists');
      fs.rmSync(path.join(cwd, 'migrations', '003_c.sql'));
      assert.equal((await run('resolve', '003', '--forget')).code, 0);
      const down = await run('down', '--json');
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(
        await rawQuery(db, 'SELECT id FROM a ORDER BY id'),
        [{ id: 1 }, { id: 2 }],
        'nothing undone',
      );
    } finally {
      await db.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("new writes the folder's own layout and numbering (goose sequential, Diesel folders, Flyway V<n>__)", async () => {
    const cases: [Record<string, string>, RegExp[]][] = [
      [{ 'migrations/00001_a.sql': '-- +goose Up\nSELECT 1;\n' }, [/migrations\/00002_add_x\.sql$/]],
      [
        { 'migrations/2024-01-01-000001_a/up.sql': 'SELECT 1;\n' },
        [/migrations\/\d{4}-\d\d-\d\d-\d{6}_add_x\/up\.sql$/, /down\.sql$/],
      ],
      [{ 'db/migration/V1__a.sql': 'SELECT 1;\n' }, [/db\/migration\/V2__add_x\.sql$/]],
      [
        { 'migrations/1_a.up.sql': 'SELECT 1;\n' },
        [/migrations\/2_add_x\.up\.sql$/, /migrations\/2_add_x\.down\.sql$/],
      ],
    ];
    for (const [files, expected] of cases) {
      const cwd = tempProject(files);
      try {
        const r = await cli(['new', 'add_x', '--json'], { cwd });
        assert.equal(r.code, 0, r.stderr);
        const created = r.json<{ files: string[] }>().files;
        for (const [i, re] of expected.entries()) assert.match(created[i]!, re);
        const status = await cli(['status', '--url', 'sqlite::memory:'], { cwd });
        assert.equal(status.code, 0, status.stderr);
      } finally {
        fs.rmSync(cwd, { recursive: true, force: true });
      }
    }
  });

  it('a Flyway repeatable runs again when its file changes, not otherwise', async () => {
    const db = await createTestDatabase('sqlite');
    const cwd = tempProject({
      'db/migration/V1__t.sql': 'CREATE TABLE t (id INTEGER, v TEXT);\n',
      'db/migration/R__seed.sql': "DELETE FROM t;\nINSERT INTO t VALUES (1, 'one');\n",
    });
    try {
      const run = (...args: string[]) => cli([...args, '--url', db.url, '--json'], { cwd });
      assert.deepEqual(
        (await run('apply')).json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['1', 'R__seed'],
      );
      assert.deepEqual((await run('apply')).json<{ applied: unknown[] }>().applied, []);
      fs.writeFileSync(
        path.join(cwd, 'db/migration/R__seed.sql'),
        "DELETE FROM t;\nINSERT INTO t VALUES (1, 'uno');\n",
      );
      const st = await run('status');
      assert.deepEqual(st.json<{ problems: unknown[]; pending: { id: string }[] }>().problems, []);
      assert.deepEqual(
        (await run('apply')).json<{ applied: { id: string }[] }>().applied.map((a) => a.id),
        ['R__seed'],
      );
      assert.deepEqual(await rawQuery(db, 'SELECT v FROM t'), [{ v: 'uno' }]);
      assert.equal((await run('doctor')).code, 0);
    } finally {
      await db.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('sqlite3: (dbmate) and file: (Prisma, relative to prisma/schema.prisma) URLs name the same file', async () => {
    const cwd = tempProject({
      '.env': 'DATABASE_URL="file:./dev.db"\n',
      'prisma/schema.prisma': 'datasource db {\n  provider = "sqlite"\n  url = env("DATABASE_URL")\n}\n',
      'prisma/migrations/migration_lock.toml': 'provider = "sqlite"\n',
      'prisma/migrations/20240101000001_init/migration.sql': 'CREATE TABLE t (id INTEGER);\n',
    });
    try {
      const r = await cli(['apply'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      // Where Prisma keeps it, and says so: not a new empty ./dev.db.
      const file = path.join(cwd, 'prisma', 'dev.db');
      assert.match(r.stdout, new RegExp(`^database: sqlite:${file.replace(/[.]/g, '\\.')}$`, 'm'));
      assert.ok(fs.existsSync(file));
      assert.ok(!fs.existsSync(path.join(cwd, 'dev.db')));
      const dbmate = await cli(['status', '--json', '--url', 'sqlite3:prisma/dev.db'], { cwd });
      assert.deepEqual(
        (({ database, current }) => ({ database, current }))(
          dbmate.json<{ database: string; current: string }>(),
        ),
        { database: `sqlite:${file}`, current: '20240101000001' },
      );
      const absolute = await cli(['status', '--json', '--url', `file:${file}`], { cwd });
      assert.equal(absolute.json<{ current: string }>().current, '20240101000001');
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('init in an existing project uses its migrations folder and never writes a SQLite URL the project contradicts', async () => {
    const readConfig = (cwd: string) =>
      JSON.parse(fs.readFileSync(path.join(cwd, 'dbdoctor.config.json'), 'utf8')) as Record<string, string>;
    // dbdoctor's own folder holding PostgreSQL SQL: the guard still stands after init.
    const pgSql = tempProject({
      'migrations/20240101000001_users.sql': sqlMigration('CREATE TABLE users (id BIGSERIAL PRIMARY KEY);'),
    });
    // Prisma's folder and schema (provider postgresql), no DATABASE_URL anywhere.
    const prisma = tempProject({
      'prisma/schema.prisma':
        'generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'prisma/migrations/20240101000001_init/migration.sql': 'CREATE TABLE t (id INTEGER);\n',
    });
    // A Drizzle folder whose config says postgresql, with plain SQL SQLite would take.
    const drizzle = tempProject({
      'drizzle.config.ts':
        "import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ dialect: 'postgresql', schema: './src/schema.ts' });\n",
      'drizzle/0000_init.sql': 'CREATE TABLE t (id integer);\n',
      'drizzle/meta/_journal.json': JSON.stringify({
        version: '7',
        dialect: 'postgresql',
        entries: [{ idx: 0, version: '7', when: 1704067200000, tag: '0000_init', breakpoints: true }],
      }),
    });
    // Plain SQLite-friendly project: the SQLite default is still written.
    const plain = tempProject({
      'db/migrations/20240101000001_t.sql': sqlMigration('CREATE TABLE t (id INTEGER);'),
    });
    try {
      for (const [cwd, dir, format, evidence] of [
        [pgSql, 'migrations', undefined, /migrations\/20240101000001_users\.sql uses BIGSERIAL/],
        [prisma, 'prisma/migrations', 'prisma', /provider = "postgresql"/],
        [drizzle, 'drizzle', 'drizzle', /dialect/],
      ] as const) {
        const r = await cli(['init'], { cwd });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`found ${dir.replace('/', '\\/')}.*using it`));
        assert.match(r.stdout, /url: not written.*another database than SQLite/);
        assert.match(r.stdout, evidence);
        const config = readConfig(cwd);
        assert.equal(config.url, undefined, 'no SQLite URL written');
        assert.equal(config.dir, dir);
        assert.equal(config.format, format);
        if (cwd !== pgSql) assert.ok(!fs.existsSync(path.join(cwd, 'migrations')), 'no second, empty folder');
        for (const command of ['status', 'apply']) {
          const s = await cli([command], { cwd });
          assert.equal(s.code, 2, `${command}: ${s.stdout}${s.stderr}`);
          assert.match(s.stderr, /DATABASE_NOT_NAMED/);
        }
        assert.ok(!fs.existsSync(path.join(cwd, 'dbdoctor.sqlite')), 'no SQLite file appeared');
      }
      // Prisma's migrations are what status lists, once a database is named.
      const named = await cli(['status', '--json', '--url', 'sqlite::memory:'], { cwd: prisma });
      assert.deepEqual(
        named.json<{ pending: { id: string }[] }>().pending.map((p) => p.id),
        ['20240101000001'],
      );
      const r = await cli(['init', '--json'], { cwd: plain });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.json<{ existing: boolean }>().existing, true);
      assert.deepEqual(readConfig(plain), { url: 'sqlite:./dbdoctor.sqlite', dir: 'db/migrations' });
      assert.ok(!fs.existsSync(path.join(plain, 'migrations')));
      // DATABASE_URL in .env names the database: init writes no URL over it.
      const env = tempProject({ '.env': 'DATABASE_URL=sqlite:./from-env.db\n' });
      try {
        const e = await cli(['init'], { cwd: env });
        assert.equal(e.code, 0, e.stderr);
        assert.match(e.stdout, /url: not written, DATABASE_URL/);
        assert.deepEqual(readConfig(env), { dir: 'migrations' });
        assert.ok(fs.existsSync(path.join(env, 'migrations')));
      } finally {
        fs.rmSync(env, { recursive: true, force: true });
      }
    } finally {
      for (const cwd of [pgSql, prisma, drizzle, plain]) fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('diff and generate leave nothing in the project but the migration generate writes (success and failure)', async () => {
    const db = await createTestDatabase('sqlite');
    const cwd = tempProject({
      'migrations/20240101000001_users.sql': sqlMigration('CREATE TABLE users (id INTEGER PRIMARY KEY);'),
      'schema.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n',
    });
    const tree = () =>
      (fs.readdirSync(cwd, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
    try {
      const start = tree();
      const run = (...args: string[]) => cli([...args, '--url', db.url], { cwd });
      const diff = await run('diff', '--schema-file', 'schema.sql');
      assert.equal(diff.code, 0, diff.stderr);
      assert.deepEqual(tree(), start, 'diff wrote nothing into the project');
      for (const command of [
        ['diff', '--schema-file', 'missing.sql'],
        ['generate', 'add_email', '--schema-file', 'missing.sql'],
      ]) {
        const r = await run(...command);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /SCHEMA_FILE_MISSING/);
        assert.deepEqual(tree(), start, `${command[0]} (failing) wrote nothing into the project`);
      }
      const gen = await run('generate', 'add_email', '--schema-file', 'schema.sql', '--no-prompt');
      assert.equal(gen.code, 0, gen.stderr);
      const added = tree().filter((p) => !start.includes(p));
      assert.equal(added.length, 1, added.join(', '));
      assert.match(added[0]!, /^migrations\/\d+_add_email\.(sql|ts)$/);
      assert.ok(!fs.existsSync(path.join(cwd, '.dbdoctor-cache')));
    } finally {
      await db.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it("the doctor's REPLAY_FAILED for a .ts migration importing 'dbdoctor' where it is not installed says npm i -D dbdoctor", async () => {
    const db = await createTestDatabase('sqlite');
    const cwd = tempProject({
      'migrations/20240101000001_users.ts':
        "import { defineMigration } from 'dbdoctor';\nexport default defineMigration({ up: async (db) => { await db.exec('CREATE TABLE users (id INTEGER)'); } });\n",
    });
    try {
      await rawQuery(db, 'CREATE TABLE users (id INTEGER)'); // the database exists (made by hand)
      const r = await cli(['doctor', '--json', '--url', db.url], { cwd });
      const doc = r.json<{ findings: { code: string; message: string; fix?: string }[] }>();
      const failed = doc.findings.find((f) => f.code === 'REPLAY_FAILED');
      assert.ok(failed, r.stdout);
      assert.match(failed.fix ?? '', /npm i -D dbdoctor/);
      assert.match(failed.message, /20240101000001_users/);
      // Node's "Require stack:" (paths with a loader's query string) is noise here.
      assert.doesNotMatch(failed.message, /Require stack|namespace=/);
      const applied = await cli(['apply', '--json', '--url', db.url], { cwd });
      const e = applied.json<{ error: { code: string; message: string } }>().error;
      assert.equal(e.code, 'BAD_MIGRATION');
      assert.doesNotMatch(e.message, /Require stack|namespace=/);
      assert.doesNotMatch(applied.stderr, /Require stack/);
    } finally {
      await db.drop();
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('init adds backups/ to .gitignore once, keeping what is there', async () => {
    const cwd = tempProject({ '.gitignore': 'node_modules' });
    try {
      const r = await cli(['init'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        fs.readFileSync(path.join(cwd, '.gitignore'), 'utf8'),
        "node_modules\n# dbdoctor's automatic backups\nbackups/\n",
      );
      assert.equal((await cli(['init'], { cwd })).code, 0);
      assert.equal(fs.readFileSync(path.join(cwd, '.gitignore'), 'utf8').match(/backups\//g)?.length, 1);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('init --url with a password writes it to .env (kept out of git), never to the config file or the output', async () => {
    const db = await createTestDatabase('postgres');
    const cwd = tempProject({});
    try {
      // trust auth: the server takes any password, so the one written here is a real one to hide.
      const u = new URL(db.url);
      u.password = 's3cret-Pw!';
      const url = u.toString();
      const r = await cli(['init', '--json', '--url', url], { cwd });
      assert.equal(r.code, 0, r.stderr);
      for (const out of [r.stdout, r.stderr]) assert.doesNotMatch(out, /s3cret/);
      const config = JSON.parse(fs.readFileSync(path.join(cwd, 'dbdoctor.config.json'), 'utf8'));
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
      assert.equal(config.url, '${DATABASE_URL}');
      assert.doesNotMatch(fs.readFileSync(path.join(cwd, 'dbdoctor.config.json'), 'utf8'), /s3cret/);
      assert.match(fs.readFileSync(path.join(cwd, '.env'), 'utf8'), /^DATABASE_URL='postgres:.*s3cret-Pw!@/m);
      assert.match(fs.readFileSync(path.join(cwd, '.gitignore'), 'utf8'), /^\.env$/m);
      if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(cwd, '.env')).mode & 0o077, 0);
      // The project works from there: the config names .env's URL.
      const status = await cli(['status', '--json'], { cwd });
      assert.equal(status.code, 0, status.stderr);
      assert.doesNotMatch(status.stdout + status.stderr, /s3cret/);
      // A URL no command could read (an unencoded '#' in the password) is refused before
      // anything is made: never written to the config file.
      const bad = tempProject({});
      try {
        const refused = await cli(['init', '--url', 'mysql://u:p#w$x@127.0.0.1/db'], { cwd: bad });
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /BAD_URL/);
        assert.doesNotMatch(refused.stdout + refused.stderr, /p#w\$x/);
        assert.deepEqual(fs.readdirSync(bad), []);
      } finally {
        fs.rmSync(bad, { recursive: true, force: true });
      }
      // An existing .env and .gitignore are added to, and said to be: never "created".
      const kept = tempProject({ '.env': 'API_KEY=abc\n', '.gitignore': 'node_modules\n' });
      try {
        const added = await cli(['init', '--json', '--url', url], { cwd: kept });
        assert.equal(added.code, 0, added.stderr);
        const doc = added.json<{ created: string[]; updated: string[] }>();
        assert.ok(
          doc.updated.some((u) => u.endsWith('.env (DATABASE_URL)')),
          JSON.stringify(doc),
        );
        assert.ok(
          !doc.created.some((c) => c.includes('.env') || c.includes('.gitignore')),
          JSON.stringify(doc),
        );
        assert.match(fs.readFileSync(path.join(kept, '.env'), 'utf8'), /^API_KEY=abc\nDATABASE_URL=/);
        const other = tempProject({ '.env': 'A=1\n' });
        try {
          const text = await cli(['init', '--url', url], { cwd: other });
          assert.match(text.stdout, /^added to .*\.env \(DATABASE_URL\)$/m);
        } finally {
          fs.rmSync(other, { recursive: true, force: true });
        }
      } finally {
        fs.rmSync(kept, { recursive: true, force: true });
      }
      // A URL without a password is written as it is, and no .env appears.
      const plain = tempProject({});
      try {
        assert.equal((await cli(['init', '--url', 'sqlite:./app.db'], { cwd: plain })).code, 0);
        assert.equal(
          JSON.parse(fs.readFileSync(path.join(plain, 'dbdoctor.config.json'), 'utf8')).url,
          'sqlite:./app.db',
        );
        assert.ok(!fs.existsSync(path.join(plain, '.env')));
      } finally {
        fs.rmSync(plain, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
      await db.drop();
    }
  });
});
