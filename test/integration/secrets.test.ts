import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type CliResult,
  cli,
  createTestDatabase,
  DIALECTS,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

// Hex is never percent-encoded, so the token is a substring of the secret in every spelling
// (raw, encodeURIComponent, partly encoded); its absence covers all of them.
const TOKEN = randomBytes(8).toString('hex');
const SECRET = `Pw${TOKEN}`;

/** Every command that prints, with arguments that make it reach the database. */
const COMMANDS: string[][] = [
  ['status'],
  ['history'],
  ['sql'],
  ['lint'],
  ['apply'],
  ['schema'],
  ['doctor'],
  ['stamp', '001'],
  ['down'],
  ['down'],
  ['apply', '--dry-run'],
  ['apply'],
  ['resolve', '001', '--forget'],
  ['backup'],
  ['restore', 'nothing.sqlite'],
  ['sessions', 'install'],
  ['sessions', 'list'],
  ['sessions', 'sweep'],
];

function assertNoSecret(r: CliResult, what: string): void {
  for (const [stream, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    assert.ok(!text.includes(TOKEN), `${what}: the password appears on ${stream}:\n${text}`);
  }
  assert.doesNotMatch(r.stderr, /error \[INTERNAL\]/, `${what}: ${r.stderr}`);
}

describe('no password is ever printed', () => {
  let db: TestDatabase;
  let base: URL;
  before(async () => {
    db = await createTestDatabase('postgres');
    writeMigrations(db.dir, {
      '001_a.sql': sqlMigration('CREATE TABLE a (id INTEGER PRIMARY KEY);', 'DROP TABLE a;'),
    });
    base = new URL(db.url);
  });
  after(() => db.drop());

  /** The test database's URL, spelled with the secret in one of the ways people write it. */
  const spellings = (): Record<string, string> => {
    const host = `${base.hostname}:${base.port}`;
    const user = base.username || 'postgres';
    const dbPath = base.pathname;
    return {
      'password in the user info': `postgres://${user}:${SECRET}@${host}${dbPath}`,
      '?password=': `postgres://${user}@${host}${dbPath}?password=${SECRET}`,
      'unencoded @ and : in the password': `postgresql://${user}:p@ss:${SECRET}@${host}${dbPath}`,
      'encoded / in the password': `postgres://${user}:a%2F${SECRET}%40x@${host}${dbPath}`,
      'sslpassword=': `postgres://${user}@${host}${dbPath}?sslpassword=${SECRET}`,
    };
  };

  const runAll = async (label: string, args: (cmd: string[]) => string[], env?: Record<string, string>) => {
    for (const command of COMMANDS) {
      for (const json of [false, true]) {
        const argv = [...args(command), ...(json ? ['--json'] : [])];
        const r = await cli(argv, { cwd: db.dir, env });
        assertNoSecret(r, `${label}: dbdoctor ${argv.join(' ')}`);
      }
    }
  };

  it('in every command, --json and text, for every spelling of the URL', async () => {
    const urls = spellings();
    await runAll('--url', (c) => [...c, '--url', urls['password in the user info']]);
    for (const [label, url] of Object.entries(urls).slice(1)) {
      for (const command of [['status'], ['apply'], ['doctor'], ['history'], ['down']]) {
        for (const json of [[], ['--json']]) {
          const r = await cli([...command, '--url', url, ...json], { cwd: db.dir });
          // status succeeding proves pg connected with the password as this spelling gives it
          if (command[0] === 'status') assert.equal(r.code, 0, `${label}: ${r.stderr}`);
          assertNoSecret(r, `${label}: ${command.join(' ')} ${json.join('')}`);
        }
      }
    }
  });

  it('from DATABASE_URL, from the config file, and in PGPASSWORD', async () => {
    const url = spellings()['?password='];
    await runAll('DATABASE_URL', (c) => c, { DATABASE_URL: url });
    const folder = path.join(db.dir, 'configured');
    fs.mkdirSync(folder);
    fs.cpSync(path.join(db.dir, 'migrations'), path.join(folder, 'migrations'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'dbdoctor.config.json'), JSON.stringify({ url }));
    for (const command of [['status'], ['apply'], ['doctor'], ['sessions', 'list']]) {
      const r = await cli([...command, '--json'], { cwd: folder });
      assertNoSecret(r, `config file: ${command.join(' ')}`);
    }
    // PGPASSWORD is pg's own; even a driver message quoting it would be concealed.
    const r = await cli(
      ['status', '--url', spellings()['password in the user info'].replace(`:${SECRET}`, '')],
      {
        cwd: db.dir,
        env: { PGPASSWORD: SECRET },
      },
    );
    assertNoSecret(r, 'PGPASSWORD');
  });

  it('when the database is missing, the server unreachable, or the URL malformed', async () => {
    const user = base.username || 'postgres';
    const host = `${base.hostname}:${base.port}`;
    const failing: Record<string, [string, RegExp]> = {
      'missing database': [
        `postgres://${user}:${SECRET}@${host}/no_such_db_${TOKEN.slice(0, 4)}`,
        /DB_NOT_FOUND/,
      ],
      'missing database, ?password=': [`postgres://${user}@${host}/nodb?password=${SECRET}`, /DB_NOT_FOUND/],
      unreachable: [`postgres://${user}:${SECRET}@127.0.0.1:1/db`, /DB_UNREACHABLE/],
      'role refused': [`postgres://no_role_${TOKEN.slice(0, 4)}:${SECRET}@${host}/db`, /DB_AUTH_FAILED/],
      'malformed escape': [`postgres://${user}:${SECRET}%zz@${host}/db`, /BAD_URL/],
      'unencoded #': [`postgres://${user}:a#${SECRET}@${host}/db`, /BAD_URL/],
      'unencoded /': [`postgres://${user}:a/${SECRET}@${host}/db`, /BAD_URL/],
      'unencoded / after a port-like start': [`postgres://${user}:12/${SECRET}@${host}/db`, /BAD_URL/],
      'unencoded ?': [`postgres://${user}:a?${SECRET}@${host}/db`, /BAD_URL/],
      'unsupported scheme': [`oracle://${user}:${SECRET}@${host}/db`, /BAD_URL/],
      'mysql, unreachable': [`mysql://${user}:${SECRET}@127.0.0.1:1/db`, /DB_UNREACHABLE/],
      'mysql, malformed escape': [`mysql://${user}:${SECRET}%zz@127.0.0.1/db`, /BAD_URL/],
    };
    for (const [label, [url, code]] of Object.entries(failing)) {
      for (const command of [['apply'], ['status'], ['doctor'], ['sessions', 'list']]) {
        for (const json of [[], ['--json']]) {
          const r = await cli([...command, '--url', url, ...json], { cwd: db.dir });
          if (!(label.startsWith('missing database') && command[0] === 'status')) {
            assert.notEqual(r.code, 0, `${label}: ${command.join(' ')}`);
            assert.match(r.stderr, code, `${label}: ${command.join(' ')}`);
          }
          assertNoSecret(r, `${label}: ${command.join(' ')} ${json.join('')}`);
        }
      }
    }
  });

  it('in a SQLite URL refused for a secret parameter (?password=, ?key=): BAD_URL, value shown as ***', async () => {
    for (const url of [
      `sqlite:./app.db?password=${SECRET}`,
      `sqlite:./app.db?mode=ro&key=${SECRET}`,
      `sqlite:./app.db?mode=${SECRET}`,
    ]) {
      for (const [how, argv, env] of [
        ['--url', ['status', '--url', url], undefined],
        ['DATABASE_URL', ['apply'], { DATABASE_URL: url }],
      ] as const) {
        for (const json of [[], ['--json']]) {
          const r = await cli([...argv, ...json], { cwd: db.dir, env });
          assert.equal(r.code, 2, `${how} ${url}: ${r.stderr}`);
          assert.match(r.stderr, /^error \[BAD_URL\]/, r.stderr);
          assertNoSecret(r, `${how} ${url} ${json.join('')}`);
        }
      }
    }
    const r = await cli(['status', '--url', `sqlite:./app.db?password=${SECRET}`], { cwd: db.dir });
    assert.match(
      r.stderr,
      /"sqlite:\.\/app\.db\?password=\*\*\*"/,
      'the parameter is named, its value masked',
    );
    assert.equal(fs.existsSync(path.join(db.dir, 'app.db')), false);
  });

  it("in a failing migration statement that sets a role's password: PASSWORD '***', text and --json", async () => {
    const role = `dbd_secret_${TOKEN.slice(0, 6)}`;
    const own = await createTestDatabase('postgres');
    const dir = writeMigrations(
      own.dir,
      {
        '001_role.sql': sqlMigration(
          `CREATE ROLE ${role} LOGIN PASSWORD '${SECRET}';\nCREATE ROLE ${role} LOGIN PASSWORD '${SECRET}';`,
          `DROP ROLE ${role};`,
        ),
      },
      'role-migrations',
    );
    try {
      for (const json of [[], ['--json']]) {
        const r = await cli(['apply', '--url', own.url, '--dir', dir, '--no-backup', ...json], {
          cwd: own.dir,
        });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /MIGRATION_FAILED[\s\S]*statement: CREATE ROLE \S+ LOGIN PASSWORD '\*\*\*'/);
        assertNoSecret(r, `apply ${json.join('')}`);
        if (json.length) {
          const doc = r.json<{ error: { statement: string } }>();
          assert.match(doc.error.statement, /PASSWORD '\*\*\*'/);
        }
      }
    } finally {
      await rawQuery(own, `DROP ROLE IF EXISTS ${role}`);
      await own.drop();
    }
  });
});

describe('a connection string in a failing migration statement', () => {
  // A FEDERATED table's CONNECTION (MySQL), CREATE SUBSCRIPTION … CONNECTION or a dblink call
  // (PostgreSQL): a URL with a password inside the user's SQL, quoted back by the error.
  const cases: { dialect: 'postgres' | 'mysql'; sql: string }[] = [
    { dialect: 'postgres', sql: `SELECT 'postgres://app:${SECRET}@db.example/prod'::int;` },
    {
      dialect: 'mysql',
      sql: `CREATE TABLE fed (id INT) ENGINE=NO_SUCH_ENGINE CONNECTION='mysql://fed:${SECRET}@127.0.0.1:3306/x/y';\nSELECT CAST('mysql://fed:${SECRET}@h/x' AS JSON);`,
    },
  ];
  for (const c of cases.filter((x) => DIALECTS.includes(x.dialect))) {
    it(`${c.dialect}: shows the URL with its password as ***, in text and --json`, async () => {
      // A database each time: on MySQL the failed migration stays partially applied.
      for (const json of [[], ['--json']]) {
        const own = await createTestDatabase(c.dialect);
        try {
          const dir = writeMigrations(own.dir, { '001_fed.sql': sqlMigration(c.sql) }, 'url-migrations');
          const r = await cli(['apply', '--url', own.url, '--dir', dir, '--no-backup', ...json], {
            cwd: own.dir,
          });
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr, /:\*\*\*@/);
          assertNoSecret(r, `apply ${json.join('')}`);
        } finally {
          await own.drop();
        }
      }
    });
  }
});

describe('library errors never show the password a failing statement writes', () => {
  it('migrate() rejects with the CREATE ROLE statement masked, message and details alike', async () => {
    const db = await createTestDatabase('postgres');
    try {
      // `postgres` exists, so the statement itself fails and is the one the error shows.
      const dir = writeMigrations(db.dir, {
        '001_role.sql': sqlMigration(`CREATE ROLE postgres LOGIN PASSWORD '${SECRET}';`),
      });
      const { migrate, DbDoctorError } = await import('../../src/index.js');
      const err = await migrate({ database: db.url, dir }).catch((e: unknown) => e);
      assert.ok(err instanceof DbDoctorError, String(err));
      assert.match(err.message, /PASSWORD '\*\*\*'/);
      assert.ok(!JSON.stringify(err.toJSON()).includes(TOKEN), 'no secret in the error');
      assert.ok(!err.message.includes(TOKEN));
    } finally {
      await db.drop();
    }
  });
});
