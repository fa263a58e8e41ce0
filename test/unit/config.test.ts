import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parsePgConnectionString } from 'pg-connection-string';
import { parseDuration } from '../../src/config/duration.js';
import { conceal, parseDatabaseUrl } from '../../src/config/url.js';
import '../../src/dialects/builtin.js';
import type { PostgresTarget } from '../../src/dialects/postgres/url.js';
import { DbDoctorError } from '../../src/errors.js';

describe('database URLs', () => {
  it('accepts every form of DESIGN.md', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:data/app.db', '/srv'), {
      dialect: 'sqlite',
      file: '/srv/data/app.db',
      memory: false,
      mode: 'rwc',
      display: 'sqlite:/srv/data/app.db',
    });
    assert.equal(
      (parseDatabaseUrl('sqlite:///abs/app.db') as unknown as { file: string }).file,
      '/abs/app.db',
    );
    assert.equal(parseDatabaseUrl('sqlite::memory:').dialect, 'sqlite');
    const pg = parseDatabaseUrl('postgresql://u:secret@db.example:5433/app');
    assert.equal(pg.dialect, 'postgres');
    assert.ok(!pg.display.includes('secret'), 'the password is hidden in messages');
  });

  for (const bad of [
    '',
    'oracle://x/y',
    'postgres://',
    'postgres://host',
    'sqlite:',
    'no-scheme',
    'postgres://h:port/db',
  ]) {
    it(`rejects ${JSON.stringify(bad)} with BAD_URL and the accepted forms`, () => {
      assert.throws(
        () => parseDatabaseUrl(bad),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_URL' && /sqlite:/.test(e.hint),
      );
    });
  }
});

describe('database URLs: what is shown is what pg connects to, and never a secret', () => {
  const SECRET = 'Zq9sekret';
  const pgTarget = (url: string) => {
    const t = parseDatabaseUrl(url);
    assert.equal(t.dialect, 'postgres');
    return t as PostgresTarget;
  };

  for (const [url, display] of [
    [`postgres://u:${SECRET}@h:5433/app`, 'postgres://u:***@h:5433/app'],
    [`postgres://u@h/app?password=${SECRET}`, 'postgres://u:***@h/app'],
    [`postgres://u@h/app?sslpassword=${SECRET}&application_name=x`, 'postgres://u@h/app'],
    // WHATWG (and so pg) ends the user info at the LAST "@" before the path: ":" and "@" need no escape.
    [`postgres://u:p@ss:w${SECRET}@127.0.0.1/db`, 'postgres://u:***@127.0.0.1/db'],
    [`postgres://u:pa%2Fss${SECRET}@127.0.0.1/db`, 'postgres://u:***@127.0.0.1/db'],
    [`postgresql://u:${SECRET}@[::1]:5/db?passfile=/tmp/pgpass`, 'postgresql://u:***@[::1]:5/db'],
    [
      `postgres:///db?host=/var/run/postgresql&password=${SECRET}`,
      'postgres://:***@%2Fvar%2Frun%2Fpostgresql/db',
    ],
  ] as const) {
    it(`${url} shows as ${display}`, () => {
      const t = pgTarget(url);
      assert.equal(t.display, display);
      assert.ok(!t.display.includes(SECRET));
      assert.ok(
        t.secrets.some((s) => s.includes(SECRET)),
        'the secret is known, to be concealed',
      );
      const pgSees = parsePgConnectionString(t.connectionString);
      assert.equal(t.database, pgSees.database, 'the database pg connects to');
      assert.ok(t.display.includes(String(pgSees.host).replace(/\//g, '%2F')), 'the host pg connects to');
    });
  }

  it('keeps a database name exactly as pg sends it (pg does not decode %2F there)', () => {
    assert.equal(pgTarget('postgres://u@h/d%2Fb').database, 'd%2Fb');
  });

  for (const [url, why] of [
    [`postgres://u:${SECRET}@h/d%zz`, /malformed percent-escape/],
    [`postgres://u:${SECRET}%zz@h/db`, /malformed percent-escape/],
    [`postgres://u:${SECRET}%00@h/db`, /NUL/],
    [`postgres://u:${SECRET}#x@h/db`, /"#"/],
    [`postgres://u:p@ss/w:rd${SECRET}@127.0.0.1/db`, /must be percent-encoded \(%2F\)/],
    [`postgres://u:12/${SECRET}@127.0.0.1/db`, /must be percent-encoded \(%2F\)/],
    [`postgres://u:pa?ss${SECRET}@h/db`, /not a valid URL|port|no database/],
    [`oracle://root:${SECRET}@h/db`, /scheme "oracle:"/],
  ] as const) {
    it(`refuses ${url} with BAD_URL, without repeating it`, () => {
      assert.throws(
        () => parseDatabaseUrl(url),
        (e: unknown) =>
          e instanceof DbDoctorError &&
          e.code === 'BAD_URL' &&
          why.test(e.message) &&
          !JSON.stringify(e.toJSON()).includes(SECRET) &&
          !e.message.includes('h/db'),
      );
    });
  }

  it('a SQLite path with %00 or a malformed escape is refused, never truncated', () => {
    for (const [url, why] of [
      ['sqlite:./ab%00cd.db', /NUL/],
      ['sqlite:./x%zz.db', /malformed percent-escape/],
      ['sqlite:./x.db?cache=shared', /unknown SQLite URL parameter "cache"/],
      ['sqlite:./x.db?mode=rwx', /mode must be ro, rw or rwc/],
    ] as const) {
      assert.throws(
        () => parseDatabaseUrl(url, '/srv'),
        (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_URL' && why.test(e.message),
        url,
      );
    }
  });

  it("a SQLite URL takes SQLite's mode parameter and shows it", () => {
    const t = parseDatabaseUrl('sqlite:data/app.db?mode=ro', '/srv');
    assert.deepEqual(t, {
      dialect: 'sqlite',
      file: '/srv/data/app.db',
      memory: false,
      mode: 'ro',
      display: 'sqlite:/srv/data/app.db?mode=ro',
    });
  });

  it('conceal replaces every secret, longest first, and leaves 1-3 character ones alone', () => {
    assert.equal(conceal('a abcd abcdef', ['abcd', 'abcdef', 'a']), 'a *** ***');
  });
});

describe('durations', () => {
  it('parses numbers and units', () => {
    assert.equal(parseDuration(250), 250);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('30d'), 2_592_000_000);
  });
  it('rejects garbage', () => {
    assert.throws(
      () => parseDuration('soon'),
      (e: unknown) => e instanceof DbDoctorError && e.code === 'BAD_DURATION',
    );
  });
});
