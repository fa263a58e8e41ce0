/**
 * `generate` on a terminal asks whether a drop and an add are a rename (as Prisma and Drizzle
 * ask), and takes the answer: a real process under a pseudo-terminal (util-linux `script`),
 * answered once the question has been printed, never after a fixed delay.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CLI_PATH, cli, createTestDatabase, sqlMigration, writeMigrations } from '../helpers/databases.js';
import { linkPackage } from '../helpers/projects.js';

const PROJECT = {
  '001_users.sql': sqlMigration(
    'CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, email TEXT NOT NULL);',
    'DROP TABLE users;',
  ),
};
const DESIRED = 'CREATE TABLE users (id INTEGER PRIMARY KEY NOT NULL, mail TEXT NOT NULL);\n';

const hasScript = spawnSync('script', ['--version']).status === 0;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under a pseudo-terminal, answering `answer` when `[y/N]` appears. */
function onTerminal(args: string[], cwd: string, answer: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI_PATH, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let answered = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!answered && out.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.end();
      resolve({ code: code ?? -1, out });
    });
  });
}

describe('generate asks on a terminal whether a drop and an add are a rename', {
  skip: hasScript ? false : 'util-linux `script` (a pseudo-terminal) is not installed',
}, () => {
  for (const [answer, renamed] of [
    ['y', true],
    ['n', false],
    ['', false],
  ] as const) {
    it(`answer ${JSON.stringify(answer)}: ${renamed ? 'renameColumn, the data kept' : 'drop and add'}`, async () => {
      const db = await createTestDatabase('sqlite');
      try {
        linkPackage(db.dir);
        const dir = writeMigrations(db.dir, PROJECT);
        assert.equal((await cli(['apply', '--url', db.url, '--dir', dir], { cwd: db.dir })).code, 0);
        fs.writeFileSync(path.join(db.dir, 'schema.sql'), DESIRED);
        const r = await onTerminal(['generate', 'users_mail', '--url', db.url, '--dir', dir], db.dir, answer);
        assert.equal(r.code, 0, r.out);
        assert.match(
          r.out,
          /Is column users\.email renamed to mail\? \(otherwise email is dropped with its data\) \[y\/N\]/,
        );
        const written = fs.readdirSync(dir).filter((f) => f.includes('users_mail'));
        assert.equal(written.length, 1, r.out);
        const code = fs.readFileSync(path.join(dir, written[0]!), 'utf8');
        if (renamed) {
          assert.match(code, /renameColumn\('users', 'email', 'mail'\)/);
          assert.doesNotMatch(code, /dropColumn/);
        } else {
          assert.doesNotMatch(code, /renameColumn/);
          assert.match(code, /dropColumn\('users', 'email'\)|DROP COLUMN/);
        }
      } finally {
        await db.drop();
      }
    });
  }

  it('--no-prompt never asks: the note names the --rename to use', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      linkPackage(db.dir);
      const dir = writeMigrations(db.dir, PROJECT);
      assert.equal((await cli(['apply', '--url', db.url, '--dir', dir], { cwd: db.dir })).code, 0);
      fs.writeFileSync(path.join(db.dir, 'schema.sql'), DESIRED);
      const r = await onTerminal(['diff', '--no-prompt', '--url', db.url, '--dir', dir], db.dir, 'y');
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, /\[y\/N\]/);
      assert.match(r.out, /If so, run again with --rename users\.email=mail/);
    } finally {
      await db.drop();
    }
  });
});
