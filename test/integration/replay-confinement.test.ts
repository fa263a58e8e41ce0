/**
 * MySQL/MariaDB: the doctor's replay runs in a scratch database on the live server and never
 * changes anything else there. The server confines it (a throwaway account with privileges on the
 * scratch database only); a doctor whose account cannot create accounts falls back to a check of
 * each statement's tokens. Each case is a red-team reproduction: live rows, server globals and
 * foreign servers are read before and after; no password reaches stdout, stderr or --json.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import type { DoctorResult } from '../../src/doctor/doctor.js';
import {
  CLI_PATH,
  type CliResult,
  cli,
  createTestDatabase,
  mysqlAdminUrl,
  mysqlClient,
  onlyOn,
  rawExec,
  rawQuery,
  sqlMigration,
  type TestDatabase,
  writeMigrations,
} from '../helpers/databases.js';

async function admin(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = await mysqlClient(mysqlAdminUrl());
  try {
    const [rows] = await c.query(sql, params);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await c.end();
  }
}

async function globalValue(name: string): Promise<string> {
  const [row] = await admin(`SELECT @@GLOBAL.${name} AS v`);
  return String(row?.v);
}

function skippedOf(result: DoctorResult): string[] {
  return result.findings.filter((f) => f.code === 'REPLAY_SKIPPED_STATEMENT').map((f) => f.message);
}

function dbName(d: TestDatabase): string {
  return new URL(d.url).pathname.slice(1);
}

/** Every text a run printed. */
function printed(...runs: CliResult[]): string {
  return runs.map((r) => r.stdout + r.stderr).join('\n');
}

describe('MySQL: the replay never touches the live server', onlyOn('mysql'), () => {
  const dbs: TestDatabase[] = [];
  const accounts: string[] = [];
  after(async () => {
    for (const d of dbs) await d.drop();
    for (const a of accounts) await admin(`DROP USER IF EXISTS ${a}`);
  });
  async function fresh(files: Record<string, string>, create?: string) {
    const d = await createTestDatabase('mysql');
    dbs.push(d);
    if (create) await admin(`ALTER DATABASE \`${dbName(d)}\` ${create}`);
    const dir = writeMigrations(d.dir, files);
    const run = (...args: string[]) => cli([...args, '--url', d.url, '--dir', dir], { cwd: d.dir });
    return { d, dir, run };
  }

  it('names qualified with the live database (as MySQL Workbench writes them) mean the scratch database: live rows stay, no drift; another database is refused by the server', async () => {
    const { d } = await fresh({});
    const other = await createTestDatabase('mysql');
    dbs.push(other);
    await rawExec(other, 'CREATE TABLE keep (id INT); INSERT INTO keep VALUES (1), (2);');
    const name = dbName(d);
    const dir = writeMigrations(d.dir, {
      '001_init.sql': sqlMigration(
        `USE \`${name}\`;\nCREATE TABLE IF NOT EXISTS \`${name}\`.\`users\` (id INT PRIMARY KEY, name VARCHAR(50));`,
      ),
      '002_rebuild.sql': sqlMigration(
        `DROP TABLE IF EXISTS \`${name}\`.\`audit\`;\nCREATE TABLE \`${name}\`.audit (id INT PRIMARY KEY);\nINSERT INTO \`${name}\`.\`audit\` VALUES (1);\nDELETE FROM \`${dbName(other)}\`.keep;`,
      ),
    });
    const exec = (...args: string[]) => cli([...args, '--url', d.url, '--dir', dir], { cwd: d.dir });
    assert.equal((await exec('apply')).code, 0);
    await rawExec(d, "INSERT INTO users VALUES (1, 'alice'); INSERT INTO audit VALUES (2), (3);");
    await rawExec(other, 'INSERT INTO keep VALUES (1), (2);');
    const r = await exec('doctor', '--no-cache', '--json');
    const result = r.json<DoctorResult>();
    assert.deepEqual(
      (await rawQuery(d, 'SELECT id FROM audit ORDER BY id')).map((x) => x.id),
      [1, 2, 3],
    );
    assert.deepEqual(
      (await rawQuery(d, 'SELECT name FROM users')).map((x) => x.name),
      ['alice'],
    );
    assert.equal((await rawQuery(other, 'SELECT id FROM keep')).length, 2);
    assert.equal(r.code, 0, JSON.stringify(result.findings));
    assert.equal(result.matches, '002');
    assert.match(result.confinement ?? '', /throwaway account/);
    const skipped = skippedOf(result);
    assert.equal(skipped.length, 1, skipped.join('\n'));
    assert.match(skipped[0]!, /DELETE FROM .*server refused it/);
  });

  it("the throwaway account's grant is its own database only: '_' in the name is no wildcard, so no look-alike database outlives the doctor", async () => {
    const { run } = await fresh({
      '001_init.sql': sqlMigration(
        "CREATE TABLE t (id INT PRIMARY KEY);\nEXECUTE IMMEDIATE CONCAT('CREATE DATABASE `', REPLACE(DATABASE(), '_', '-'), '`');",
      ),
    });
    // Not applied: the doctor replays it all the same (a database without history).
    const r = await run('doctor', '--json', '--no-cache');
    assert.doesNotMatch(r.stderr, /INTERNAL/);
    const leftovers = await admin(
      "SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'dbdoctor-scratch-%'",
    );
    for (const l of leftovers) await admin(`DROP DATABASE IF EXISTS \`${String(l.n)}\``);
    assert.deepEqual(leftovers, [], 'a database made by the replay outlived the doctor');
  });

  it('SET GLOBAL in an executable comment or after a session assignment leaves the live global as it was', async () => {
    const before = await globalValue('net_read_timeout');
    const { run } = await fresh({
      '001_a.sql': sqlMigration(
        "CREATE TABLE t (id INT);\n/*!40101 SET GLOBAL net_read_timeout = 33 */;\nSET @note = 'tune', GLOBAL net_read_timeout = 34;\nSET @@global.net_read_timeout = 35;",
      ),
    });
    try {
      assert.equal((await run('apply')).code, 0);
      await admin(`SET GLOBAL net_read_timeout = ${Number(before)}`);
      const r = await run('doctor', '--no-cache', '--json');
      assert.equal(await globalValue('net_read_timeout'), before);
      const result = r.json<DoctorResult>();
      assert.equal(r.code, 0, r.stdout);
      assert.equal(result.matches, '001');
      assert.equal(skippedOf(result).length, 3, skippedOf(result).join('\n'));
    } finally {
      await admin(`SET GLOBAL net_read_timeout = ${Number(before)}`);
    }
  });

  it('CREATE SERVER with a password and CREATE USER of an existing account are skipped, not REPLAY_FAILED, and no password is printed', async () => {
    const tag = randomBytes(4).toString('hex');
    const server = `dbdoctor_t_srv_${tag}`;
    const user = `dbdoctor_t_dup_${tag}`;
    accounts.push(`'${user}'@'%'`);
    await admin(`CREATE USER '${user}'@'%' IDENTIFIED BY 'x'`);
    try {
      const { run } = await fresh({
        '001_a.sql': sqlMigration('CREATE TABLE t (id INT);'),
        '002_srv.sql': sqlMigration(
          `CREATE SERVER ${server} FOREIGN DATA WRAPPER mysql OPTIONS (PASSWORD 'FdwSecretPw1', HOST '127.0.0.1', DATABASE 'x', USER 'u', PORT 3306);`,
        ),
        '003_dup.sql': sqlMigration(`CREATE USER '${user}'@'%' IDENTIFIED BY 'DupSecretPw2';`),
      });
      assert.equal((await run('apply', '--to', '001')).code, 0);
      const text = await run('doctor', '--no-cache');
      const json = await run('doctor', '--no-cache', '--json');
      const result = json.json<DoctorResult>();
      assert.deepEqual(
        await admin('SELECT Server_name FROM mysql.servers WHERE Server_name = ?', [server]),
        [],
      );
      assert.ok(!result.findings.some((f) => f.code === 'REPLAY_FAILED'), JSON.stringify(result.findings));
      assert.equal(skippedOf(result).length, 2);
      assert.doesNotMatch(printed(text, json), /FdwSecretPw1|DupSecretPw2/);
      assert.match(text.stdout + text.stderr, /PASSWORD '\*\*\*'/);
    } finally {
      await admin(`DROP SERVER IF EXISTS ${server}`);
    }
  });

  it('a live database whose default is latin1 or utf8mb4_unicode_ci is replayed under the same default: no false drift', async () => {
    for (const create of [
      'CHARACTER SET latin1 COLLATE latin1_swedish_ci',
      'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
    ]) {
      const { run } = await fresh(
        {
          '001_a.sql': sqlMigration(
            "CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(10), emoji VARCHAR(10) CHARACTER SET utf8mb4);\nINSERT INTO t VALUES (1, 'abc', 'x');",
          ),
        },
        create,
      );
      assert.equal((await run('apply')).code, 0);
      const r = await run('doctor', '--no-cache', '--json');
      const result = r.json<DoctorResult>();
      assert.equal(r.code, 0, `${create}: ${JSON.stringify(result.findings)}`);
      assert.equal(result.matches, '001');
    }
  });

  it('a DEFINER naming another account is replayed with the throwaway account as definer, not skipped', async () => {
    const { run } = await fresh({
      '001_a.sql': sqlMigration(
        "CREATE TABLE a (x INT);\nCREATE DEFINER = 'root'@'localhost' TRIGGER a_bi BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1;\n/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW v AS SELECT x FROM a */;",
      ),
    });
    assert.equal((await run('apply')).code, 0);
    const r = await run('doctor', '--no-cache', '--json');
    const result = r.json<DoctorResult>();
    assert.equal(r.code, 0, JSON.stringify(result.findings));
    assert.equal(result.matches, '001');
    assert.deepEqual(skippedOf(result), []);
  });

  it('--scratch-url (a server of its own) still replays there, unconfined', async () => {
    const { d, run } = await fresh({ '001_a.sql': sqlMigration('CREATE TABLE t (id INT);') });
    assert.equal((await run('apply')).code, 0);
    const r = await run('doctor', '--no-cache', '--json', '--scratch-url', d.url);
    const result = r.json<DoctorResult>();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(result.matches, '001');
    assert.equal(result.confinement, null);
  });

  it('a killed doctor leaves its scratch database and account; the next doctor drops both', async () => {
    const { d, dir, run } = await fresh({
      '001_slow.sql': sqlMigration('CREATE TABLE a (id INT);\nSELECT SLEEP(600);'),
    });
    const child = spawn(process.execPath, [CLI_PATH, 'doctor', '--no-cache', '--url', d.url, '--dir', dir], {
      cwd: d.dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (x) => {
        err += x;
        if (/replaying 001/.test(err)) resolve();
      });
      void closed.then(() => reject(new Error(`doctor ended early: ${err}`)));
    });
    // The replay's statement reaches the server (its account shows in the process list) before the kill.
    const account = `dbdoc\\_${child.pid}\\_%`;
    for (let i = 0; i < 600; i++) {
      const busy = await admin(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER LIKE ? AND INFO LIKE 'SELECT SLEEP%'",
        [account],
      );
      if (Number(busy[0]?.n) > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await closed;
    const users = await admin('SELECT User AS u, Host AS h FROM mysql.user WHERE User LIKE ?', [account]);
    assert.equal(users.length, 1, 'the killed doctor left no account');
    accounts.push(`'${users[0]!.u}'@'${users[0]!.h}'`);
    assert.equal((await admin('SHOW DATABASES LIKE ?', [`dbdoctor\\_scratch\\_${child.pid}\\_%`])).length, 1);

    writeMigrations(d.dir, { '001_slow.sql': sqlMigration('CREATE TABLE a (id INT);') });
    await rawExec(d, 'DROP TABLE IF EXISTS a');
    const next = await run('doctor', '--no-cache', '--json');
    assert.deepEqual(await admin('SELECT User FROM mysql.user WHERE User LIKE ?', [account]), []);
    assert.deepEqual(await admin('SHOW DATABASES LIKE ?', [`dbdoctor\\_scratch\\_${child.pid}\\_%`]), []);
    // Test files run in parallel: another doctor on this server may have removed them first.
    const removed = next.json<DoctorResult>().findings.filter((f) => f.code === 'SCRATCH_LEFTOVER_REMOVED');
    for (const f of removed) assert.match(f.message, /^Dropped (dbdoctor_scratch_|account `dbdoc_)/);
  });
});

describe(
  'MySQL: a doctor whose account cannot create accounts checks each statement instead',
  onlyOn('mysql'),
  () => {
    const dbs: TestDatabase[] = [];
    const tag = randomBytes(4).toString('hex');
    const user = `dbdoctor_t_lim_${tag}`;
    const password = `LimitedPw_${tag}`;
    after(async () => {
      await admin(`DROP USER IF EXISTS '${user}'@'%'`);
      for (const d of dbs) await d.drop();
    });

    it('skips names of the live database, SET GLOBAL, CREATE SERVER and CREATE USER: live rows, globals and servers unchanged, passwords masked', async () => {
      const d = await createTestDatabase('mysql');
      dbs.push(d);
      const name = dbName(d);
      await admin(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await admin(`GRANT ALL ON \`${name}\`.* TO '${user}'@'%'`);
      await admin(`GRANT ALL ON \`dbdoctor\\_scratch\\_%\`.* TO '${user}'@'%'`);
      const other = await createTestDatabase('mysql');
      dbs.push(other);
      await rawExec(other, 'CREATE TABLE keep (id INT); INSERT INTO keep VALUES (1), (2);');
      await admin(`GRANT ALL ON \`${dbName(other)}\`.* TO '${user}'@'%'`);
      const url = d.url.replace('mysql://root@', `mysql://${user}:${password}@`);
      const server = `dbdoctor_t_srv_${tag}`;
      const dir = writeMigrations(d.dir, {
        '001_init.sql': sqlMigration(
          `CREATE TABLE IF NOT EXISTS \`${name}\`.\`users\` (id INT PRIMARY KEY);\nCREATE TABLE t (id INT);`,
        ),
        '002_rebuild.sql': sqlMigration(
          `DROP TABLE IF EXISTS \`${name}\`.\`audit\`;\nCREATE TABLE \`${name}\`.audit (id INT PRIMARY KEY);\nINSERT INTO \`${name}\`.\`audit\` VALUES (1);\nDELETE FROM \`${dbName(other)}\`.keep;`,
        ),
        '003_server.sql': sqlMigration(
          `/*!40101 SET GLOBAL net_read_timeout = 33 */;\nCREATE SERVER ${server} FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', USER 'u', PASSWORD 'FdwSecretPw1');\nCREATE USER 'dbdoctor_t_app_${tag}'@'%' IDENTIFIED BY 'AppPassw0rdXYZ';`,
        ),
      });
      // Applied as root: the live database has what the migrations make.
      const asRoot = (...args: string[]) => cli([...args, '--url', d.url, '--dir', dir], { cwd: d.dir });
      assert.equal((await asRoot('apply', '--to', '002')).code, 0);
      await rawExec(d, 'INSERT INTO audit VALUES (2), (3); INSERT INTO users VALUES (7);');
      await rawExec(other, 'INSERT INTO keep VALUES (1), (2);');
      const before = await globalValue('net_read_timeout');
      try {
        const run = (...args: string[]) => cli([...args, '--url', url, '--dir', dir], { cwd: d.dir });
        const text = await run('doctor', '--no-cache');
        const json = await run('doctor', '--no-cache', '--json');
        const result = json.json<DoctorResult>();
        assert.deepEqual(
          (await rawQuery(d, 'SELECT id FROM audit ORDER BY id')).map((x) => x.id),
          [1, 2, 3],
        );
        assert.deepEqual(
          (await rawQuery(d, 'SELECT id FROM users')).map((x) => x.id),
          [7],
        );
        assert.equal(await globalValue('net_read_timeout'), before);
        assert.deepEqual(
          await admin('SELECT Server_name FROM mysql.servers WHERE Server_name = ?', [server]),
          [],
        );
        assert.deepEqual(
          await admin('SELECT User FROM mysql.user WHERE User = ?', [`dbdoctor_t_app_${tag}`]),
          [],
        );
        assert.match(result.confinement ?? '', /tokens/);
        assert.match(text.stdout, /replay: +confined by a check of each statement's tokens/);
        const skipped = skippedOf(result);
        assert.equal(skipped.length, 4, skipped.join('\n'));
        assert.match(skipped[0]!, new RegExp(`DELETE FROM .*names the database ${dbName(other)}`));
        assert.match(skipped[1]!, /server-wide setting/);
        assert.match(skipped[2]!, /foreign server/);
        assert.match(skipped[3]!, /accounts/);
        assert.equal((await rawQuery(other, 'SELECT id FROM keep')).length, 2);
        assert.ok(!result.findings.some((f) => f.code === 'SCHEMA_DRIFT'), JSON.stringify(result.findings));
        assert.equal(result.matchesRange?.from, '002');
        assert.ok(!result.findings.some((f) => f.code === 'REPLAY_FAILED'), JSON.stringify(result.findings));
        assert.doesNotMatch(printed(text, json), /FdwSecretPw1|AppPassw0rdXYZ|LimitedPw_/);
      } finally {
        await admin(`SET GLOBAL net_read_timeout = ${Number(before)}`);
        await admin(`DROP SERVER IF EXISTS ${server}`);
        await admin(`DROP USER IF EXISTS 'dbdoctor_t_app_${tag}'@'%'`);
      }
    });
  },
);

/** A skipped statement that sets a password, then one that fails: the replay's failure lists the skipped one. */
const GENERATE_CASES = {
  mysql: (tag: string) =>
    `CREATE TABLE t (id INT);\nCREATE USER 'dbdoctor_t_gen_${tag}'@'%' IDENTIFIED BY 'GenSecretPw9';\nINSERT INTO nosuch_${tag} VALUES (1);`,
  postgres: (tag: string) =>
    `CREATE TABLE t (id INT);\nCREATE ROLE dbdoctor_t_gen_${tag} PASSWORD 'GenSecretPw9';\nINSERT INTO nosuch_${tag} VALUES (1);`,
} as const;

for (const dialect of ['mysql', 'postgres'] as const) {
  describe(
    `${dialect}: generate and diff show the replay's skipped statements masked`,
    onlyOn(dialect),
    () => {
      const dbs: TestDatabase[] = [];
      after(async () => {
        for (const d of dbs) await d.drop();
      });

      it('GENERATE_REPLAY_FAILED names the skipped statement without its password, in text and --json', async () => {
        const d = await createTestDatabase(dialect);
        dbs.push(d);
        const tag = randomBytes(4).toString('hex');
        const dir = writeMigrations(d.dir, { '001_a.sql': sqlMigration(GENERATE_CASES[dialect](tag)) });
        const schema = `${d.dir}/schema.sql`;
        writeFileSync(schema, 'CREATE TABLE t (id INT);\n');
        const runs: CliResult[] = [];
        for (const args of [['generate', 'x'], ['generate', 'x', '--json'], ['diff'], ['diff', '--json']]) {
          const r = await cli([...args, '--url', d.url, '--dir', dir, '--schema-file', schema], {
            cwd: d.dir,
          });
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stdout + r.stderr, /GENERATE_REPLAY_FAILED/);
          runs.push(r);
        }
        const all = printed(...runs);
        assert.match(all, /'\*\*\*'/);
        assert.doesNotMatch(all, /GenSecretPw9/);
      });
    },
  );
}
