/**
 * Issue 10 §2: the doctor compares what expressions MEAN, not how they are spelled. Each case
 * applies the migrations (one spelling), then rewrites the live object by hand with another
 * spelling (as a pg_dump/restore, an older server or a hand-written SQLite statement would
 * leave it), and asks `doctor --json`. Each has a negative twin that really differs.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { DoctorResult } from '../../src/doctor/doctor.js';
import {
  cli,
  createTestDatabase,
  DIALECTS,
  mysqlAdminUrl,
  mysqlClient,
  rawExec,
  sqlMigration,
  type TestDatabase,
  type TestDialect,
  writeMigrations,
} from '../helpers/databases.js';

interface Case {
  name: string;
  /** The migration 001 (up). */
  migration: string;
  /**
   * What is run on the live database after `apply`: the other spelling. `$DB` stands for the
   * test database's name; a database named `$DB_other` is dropped after the case.
   */
  live: string;
  /** True when `live` means the same as the migration. */
  same: boolean;
  /** For a real difference: text the drift message must contain (readable). */
  drift?: RegExp;
}

const POSTGRES: Case[] = [
  {
    // Supabase-style keys into auth.users: not the same key as one into public.users.
    name: "a foreign key re-pointed at another schema's table of the same name",
    migration:
      'CREATE SCHEMA other; CREATE TABLE other.users (id int PRIMARY KEY); CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE posts (id int PRIMARY KEY, uid int, CONSTRAINT posts_uid FOREIGN KEY (uid) REFERENCES users (id));',
    live: 'ALTER TABLE posts DROP CONSTRAINT posts_uid; ALTER TABLE posts ADD CONSTRAINT posts_uid FOREIGN KEY (uid) REFERENCES other.users (id);',
    same: false,
    drift: /references schema other/,
  },
  {
    name: 'a foreign key re-added naming its table with its own schema (public.users)',
    migration:
      'CREATE TABLE users (id int PRIMARY KEY); CREATE TABLE posts (id int PRIMARY KEY, uid int, CONSTRAINT posts_uid FOREIGN KEY (uid) REFERENCES users (id));',
    live: 'ALTER TABLE posts DROP CONSTRAINT posts_uid; ALTER TABLE posts ADD CONSTRAINT posts_uid FOREIGN KEY (uid) REFERENCES public.users (id);',
    same: true,
  },
  {
    name: 'a CHECK IN list on varchar re-deparsed by a pg_dump/restore round trip',
    migration:
      "CREATE TABLE orders (id int PRIMARY KEY, status varchar(10) NOT NULL CHECK (status IN ('new','done')));",
    live: `ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (((status)::text = ANY (ARRAY[('new'::character varying)::text, ('done'::character varying)::text])));`,
    same: true,
  },
  {
    name: 'a CHECK IN list with another value',
    migration:
      "CREATE TABLE orders (id int PRIMARY KEY, status varchar(10) NOT NULL CHECK (status IN ('new','done')));",
    live: `ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (((status)::text = ANY (ARRAY[('new'::character varying)::text, ('done'::character varying)::text, ('lost'::character varying)::text])));`,
    same: false,
    drift:
      /CHECK \(status::text in \('new', 'done', 'lost'\)\) on orders is in the database but not in the migrations/,
  },
  {
    name: 'a text CHECK IN list written as = ANY (ARRAY[...])',
    migration: "CREATE TABLE tickets (id int PRIMARY KEY, status text CHECK (status IN ('new','done')));",
    live: `ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status = ANY (ARRAY['new'::text, 'done'::text]));`,
    same: true,
  },
  {
    name: 'a default now() stored by an older server for CURRENT_TIMESTAMP',
    migration: 'CREATE TABLE events (id int PRIMARY KEY, created_at timestamptz DEFAULT CURRENT_TIMESTAMP);',
    live: 'ALTER TABLE events ALTER COLUMN created_at SET DEFAULT now();',
    same: true,
  },
  {
    name: "a default ('now'::text)::date stored by an older server for CURRENT_DATE",
    migration: 'CREATE TABLE events (id int PRIMARY KEY, day date DEFAULT CURRENT_DATE);',
    live: "ALTER TABLE events ALTER COLUMN day SET DEFAULT ('now'::text)::date;",
    same: true,
  },
  {
    name: 'a default CURRENT_DATE where the migrations say CURRENT_TIMESTAMP',
    migration: 'CREATE TABLE events (id int PRIMARY KEY, day timestamptz DEFAULT CURRENT_TIMESTAMP);',
    live: 'ALTER TABLE events ALTER COLUMN day SET DEFAULT CURRENT_DATE;',
    same: false,
    drift: /has default current_timestamp in the migrations at 001 but current_date/,
  },
  {
    name: 'a default with a cast an older server added',
    migration:
      "CREATE TABLE notes (id int PRIMARY KEY, state text DEFAULT 'draft', n numeric CHECK (n >= 0));",
    live: `ALTER TABLE notes ALTER COLUMN state SET DEFAULT ('draft'::character varying)::text;
ALTER TABLE notes DROP CONSTRAINT notes_n_check;
ALTER TABLE notes ADD CONSTRAINT notes_n_check CHECK ((n >= (0)::numeric));`,
    same: true,
  },
  {
    name: 'a partial index predicate respelled',
    migration:
      "CREATE TABLE jobs (id int PRIMARY KEY, state varchar(9)); CREATE INDEX jobs_open ON jobs (id) WHERE state IN ('new','run');",
    live: `DROP INDEX jobs_open;
CREATE INDEX jobs_open ON jobs (id) WHERE ((state)::text = ANY (ARRAY[('new'::character varying)::text, ('run'::character varying)::text]));`,
    same: true,
  },
  {
    name: 'a CHECK >= where the live database says >',
    migration: 'CREATE TABLE items (id int PRIMARY KEY, price int CHECK (price >= 0));',
    live: 'ALTER TABLE items DROP CONSTRAINT items_price_check; ALTER TABLE items ADD CONSTRAINT items_price_check CHECK (price > 0);',
    same: false,
    drift: /CHECK \(price > 0\) on items is in the database/,
  },
  {
    name: "defaults and a view holding 'now'::timestamp, frozen at another creation time",
    migration: `CREATE TABLE stamps (id int PRIMARY KEY, at timestamp DEFAULT 'now'::timestamp, day date DEFAULT 'today'::date);
CREATE VIEW stamped AS SELECT id, 'now'::timestamptz AS seen FROM stamps;`,
    live: `ALTER TABLE stamps ALTER COLUMN at SET DEFAULT '2019-05-01 10:00:00'::timestamp;
ALTER TABLE stamps ALTER COLUMN day SET DEFAULT '2019-05-01'::date;
CREATE OR REPLACE VIEW stamped AS SELECT id, '2019-05-01 10:00:00+00'::timestamptz AS seen FROM stamps;`,
    same: true,
  },
  {
    name: 'a real date constant that differs',
    migration: "CREATE TABLE stamps (id int PRIMARY KEY, since date DEFAULT '2019-01-01'::date);",
    live: "ALTER TABLE stamps ALTER COLUMN since SET DEFAULT '2019-02-01'::date;",
    same: false,
    drift: /has default '2019-01-01'::date in the migrations at 001 but '2019-02-01'::date/,
  },
];

/** SQLite keeps the text as written; `live` recreates the (empty) table with another spelling. */
const SQLITE: Case[] = [
  {
    // STRING has NUMERIC affinity (no CHAR, CLOB or TEXT in it: sqlite.org/datatype3.html
    // 3.1): '0123' is stored as 123 there and as '0123' in a TEXT column.
    name: 'a TEXT column declared STRING by hand',
    migration: 'CREATE TABLE codes (id INTEGER PRIMARY KEY, code TEXT);',
    live: 'DROP TABLE codes; CREATE TABLE codes (id INTEGER PRIMARY KEY, code STRING);',
    same: false,
    drift: /codes\.code/,
  },
  {
    name: 'INTEGER PRIMARY KEY with and without NOT NULL (the rowid alias never holds NULL)',
    migration: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);',
    live: 'DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY NOT NULL, name TEXT);',
    same: true,
  },
  {
    name: 'a WITHOUT ROWID key with and without NOT NULL (SQLite enforces it there)',
    migration: 'CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;',
    live: 'DROP TABLE tags; CREATE TABLE tags (name TEXT NOT NULL PRIMARY KEY, n INTEGER) WITHOUT ROWID;',
    same: true,
  },
  {
    name: 'a TEXT PRIMARY KEY gaining NOT NULL (a rowid table lets a TEXT key hold NULL)',
    migration: 'CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER);',
    live: 'DROP TABLE tags; CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL, n INTEGER);',
    same: false,
    drift: /name/,
  },
  {
    name: 'INT PRIMARY KEY gaining NOT NULL (only a column declared exactly INTEGER is the rowid)',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY, name TEXT);',
    live: 'DROP TABLE items; CREATE TABLE items (id INT PRIMARY KEY NOT NULL, name TEXT);',
    same: false,
    drift: /id/,
  },
  {
    name: 'price>=0 vs price >= 0',
    migration: 'CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK (price >= 0));',
    live: 'DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK(price>=0));',
    same: true,
  },
  {
    name: 'keyword case, redundant parentheses and quoted identifiers',
    migration:
      "CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER, status TEXT, CHECK (price >= 0 AND status IN ('new', 'done')));",
    live: `DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER, status TEXT, check ((("Price">=0) and [status] in('new','done'))));`,
    same: true,
  },
  {
    name: 'an index predicate and a default spelled differently',
    migration:
      "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT DEFAULT ('new')); CREATE INDEX jobs_open ON jobs (id) WHERE state <> 'done';",
    live: "DROP TABLE jobs; CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT DEFAULT 'new'); CREATE INDEX jobs_open ON jobs (id) WHERE `state`<>'done';",
    same: true,
  },
  {
    name: 'price >= 0 where the live database says price>0',
    migration: 'CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK (price >= 0));',
    live: 'DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK(price>0));',
    same: false,
    drift: /CHECK \(price > 0\) on items is in the database/,
  },
  {
    name: 'an IN list with another value',
    migration: "CREATE TABLE items (id INTEGER PRIMARY KEY, status TEXT CHECK (status IN ('new','done')));",
    live: "DROP TABLE items; CREATE TABLE items (id INTEGER PRIMARY KEY, status TEXT CHECK (status IN ('new','done','lost')));",
    same: false,
    drift: /CHECK \(status in \('new', 'done', 'lost'\)\) on items is in the database/,
  },
];

/** Two BEFORE INSERT triggers whose order changes the row: (n + 1) * 2. */
const TWO_TRIGGERS = `CREATE TABLE steps (id INT PRIMARY KEY, n INT);
CREATE TRIGGER first_step BEFORE INSERT ON steps FOR EACH ROW SET NEW.n = NEW.n + 1;
CREATE TRIGGER second_step BEFORE INSERT ON steps FOR EACH ROW SET NEW.n = NEW.n * 2;`;

const MYSQL: Case[] = [
  {
    // The server reports a binary default as text: x'00ff' and x'00fe' both read '\0?'.
    name: "a binary default changed in bytes that are not UTF-8 (x'00ff' to x'00fe')",
    migration: "CREATE TABLE blobs (id INT PRIMARY KEY, tag VARBINARY(4) DEFAULT x'00ff');",
    live: "ALTER TABLE blobs ALTER COLUMN tag SET DEFAULT x'00fe';",
    same: false,
    drift: /blobs\.tag/,
  },
  {
    name: "a binary default set again to the same bytes, spelled as a string ('hi' for x'6869')",
    migration: "CREATE TABLE blobs (id INT PRIMARY KEY, tag VARBINARY(4) DEFAULT x'6869');",
    live: "ALTER TABLE blobs ALTER COLUMN tag SET DEFAULT 'hi';",
    same: true,
  },
  {
    name: 'a CHECK re-added with backticks and no spaces',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY, price INT, CONSTRAINT price_ok CHECK (price >= 0));',
    live: 'ALTER TABLE items DROP CONSTRAINT price_ok; ALTER TABLE items ADD CONSTRAINT price_ok CHECK(`price`>=0);',
    same: true,
  },
  {
    name: 'price >= 0 where the live database says price>0',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY, price INT, CONSTRAINT price_ok CHECK (price >= 0));',
    live: 'ALTER TABLE items DROP CONSTRAINT price_ok; ALTER TABLE items ADD CONSTRAINT price_ok CHECK(`price`>0);',
    same: false,
    drift: /CHECK \(price > 0\) on items is in the database/,
  },
  {
    name: 'INT(11) restated as int by a later MODIFY',
    migration: 'CREATE TABLE counters (id INTEGER PRIMARY KEY, n INT(11) DEFAULT 5);',
    live: 'ALTER TABLE counters MODIFY n int DEFAULT 5;',
    same: true,
  },
  {
    name: 'a default changed by hand',
    migration: 'CREATE TABLE counters (id INTEGER PRIMARY KEY, n INT(11) DEFAULT 5);',
    live: 'ALTER TABLE counters ALTER COLUMN n SET DEFAULT 6;',
    same: false,
    drift: /counters/,
  },
  {
    name: 'two triggers of one table and event re-created in the same order, the second with FOLLOWS',
    migration: TWO_TRIGGERS,
    live: 'DROP TRIGGER second_step; CREATE TRIGGER second_step BEFORE INSERT ON steps FOR EACH ROW FOLLOWS first_step SET NEW.n = NEW.n * 2;',
    same: true,
  },
  {
    // The order is the meaning: n = 1 becomes 4 in the migrations' order, 3 in the other.
    name: 'two triggers of one table and event re-created in the other order (PRECEDES)',
    migration: TWO_TRIGGERS,
    live: 'DROP TRIGGER second_step; CREATE TRIGGER second_step BEFORE INSERT ON steps FOR EACH ROW PRECEDES first_step SET NEW.n = NEW.n * 2;',
    same: false,
    drift: /Trigger (first|second)_step on steps has a different definition/,
  },
  {
    // PIPES_AS_CONCAT makes the body's || concatenate instead of OR: the same text, another trigger.
    name: 'a trigger re-created under another sql_mode',
    migration: TWO_TRIGGERS,
    live: "SET SESSION sql_mode = 'PIPES_AS_CONCAT'; DROP TRIGGER first_step; CREATE TRIGGER first_step BEFORE INSERT ON steps FOR EACH ROW PRECEDES second_step SET NEW.n = NEW.n + 1;",
    same: false,
    drift: /Trigger first_step on steps has a different definition/,
  },
  {
    name: 'an index set IGNORED by hand (the optimizer no longer uses it)',
    migration:
      'CREATE TABLE items (id INT PRIMARY KEY, sku VARCHAR(20)); CREATE INDEX items_sku ON items (sku);',
    live: 'ALTER TABLE items ALTER INDEX items_sku IGNORED;',
    same: false,
    drift: /items_sku/,
  },
  {
    name: 'a function re-created NOT DETERMINISTIC',
    migration: 'CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2;',
    live: 'DROP FUNCTION twice; CREATE FUNCTION twice(n INT) RETURNS INT NOT DETERMINISTIC RETURN n * 2;',
    same: false,
    drift: /twice/,
  },
  {
    name: 'a function made SQL SECURITY INVOKER',
    migration: 'CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2;',
    live: 'ALTER FUNCTION twice SQL SECURITY INVOKER;',
    same: false,
    drift: /twice/,
  },
  {
    name: 'a function given a COMMENT (comments are not compared)',
    migration: 'CREATE FUNCTION twice(n INT) RETURNS INT DETERMINISTIC RETURN n * 2;',
    live: "ALTER FUNCTION twice COMMENT 'doubles';",
    same: true,
  },
  {
    name: 'a sequence whose INCREMENT was changed',
    migration: 'CREATE SEQUENCE ids START WITH 1 INCREMENT BY 1;',
    live: 'ALTER SEQUENCE ids INCREMENT BY 5;',
    same: false,
    drift: /ids/,
  },
  {
    name: 'a sequence that has handed out values (its position is data)',
    migration: 'CREATE SEQUENCE ids START WITH 1 INCREMENT BY 1;',
    live: 'SELECT NEXTVAL(ids); SELECT NEXTVAL(ids);',
    same: true,
  },
  {
    name: 'an event created by hand',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY);',
    live: 'CREATE EVENT purge_items ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM items;',
    same: false,
    drift: /purge_items/,
  },
  {
    name: "an event's schedule changed",
    migration:
      'CREATE TABLE items (id INT PRIMARY KEY); CREATE EVENT purge_items ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM items;',
    live: 'ALTER EVENT purge_items ON SCHEDULE EVERY 2 DAY;',
    same: false,
    drift: /purge_items/,
  },
  {
    // MariaDB lists it as TABLE_TYPE 'SYSTEM VERSIONED', not 'BASE TABLE'.
    name: 'a system-versioned table created by hand',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY);',
    live: 'CREATE TABLE hist (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING;',
    same: false,
    drift: /hist/,
  },
  {
    name: 'a system-versioned table made plain and versioned again by ALTER',
    migration: 'CREATE TABLE hist (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING;',
    live: 'ALTER TABLE hist DROP SYSTEM VERSIONING; ALTER TABLE hist ADD SYSTEM VERSIONING;',
    same: true,
  },
  {
    name: 'a column of a system-versioned table kept out of its history (WITHOUT SYSTEM VERSIONING)',
    migration: 'CREATE TABLE hist (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING;',
    live: "SET SESSION system_versioning_alter_history = 'KEEP'; ALTER TABLE hist MODIFY v INT WITHOUT SYSTEM VERSIONING;",
    same: false,
    drift: /hist\.v is plain in the migrations at 001 but \[without system versioning\]/,
  },
  {
    name: 'explicit ROW START/ROW END columns re-created in lowercase with the short AS ROW START',
    migration: `CREATE TABLE hist (id INT PRIMARY KEY, rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE,
  re TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (rs, re)) WITH SYSTEM VERSIONING;`,
    live: 'drop table hist; create table hist (id int primary key, rs timestamp(6) as row start invisible, re timestamp(6) as row end invisible, period for system_time(rs,re)) with system versioning;',
    same: true,
  },
  {
    // ZEROFILL pads to the display width: 42 shows as 00042 in one, 00000042 in the other.
    name: 'a ZEROFILL column widened from INT(5) to INT(8)',
    migration: 'CREATE TABLE codes (id INT PRIMARY KEY, z INT(5) ZEROFILL);',
    live: 'ALTER TABLE codes MODIFY z INT(8) ZEROFILL;',
    same: false,
    drift:
      /codes\.z has type int\(5\) unsigned zerofill in the migrations at 001 but int\(8\) unsigned zerofill/,
  },
  {
    name: 'INT ZEROFILL restated as INT(10) UNSIGNED ZEROFILL',
    migration: 'CREATE TABLE codes (id INT PRIMARY KEY, z INT ZEROFILL);',
    live: 'ALTER TABLE codes MODIFY z int(10) unsigned zerofill;',
    same: true,
  },
  {
    // SELECT * and INSERT without a column list no longer see it.
    name: 'a column made INVISIBLE',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(20) DEFAULT NULL);',
    live: 'ALTER TABLE items MODIFY note VARCHAR(20) DEFAULT NULL INVISIBLE;',
    same: false,
    drift: /items\.note is plain in the migrations at 001 but \[invisible\]/,
  },
  {
    name: 'an INVISIBLE column restated with its attributes in another order',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(20) INVISIBLE DEFAULT NULL);',
    live: 'ALTER TABLE items MODIFY note varchar(20) null invisible default null;',
    same: true,
  },
  {
    name: 'a foreign key re-pointed at the same-named table of another database',
    migration:
      'CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id));',
    live: `CREATE DATABASE $DB_other; CREATE TABLE $DB_other.p (id INT PRIMARY KEY);
ALTER TABLE c DROP FOREIGN KEY fk_c_p; ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES $DB_other.p (id);`,
    same: false,
    drift: /references database \w+_other/,
  },
  {
    name: "a foreign key re-added naming its table with this database's name",
    migration:
      'CREATE TABLE p (id INT PRIMARY KEY); CREATE TABLE c (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES p (id));',
    live: 'ALTER TABLE c DROP FOREIGN KEY fk_c_p; ALTER TABLE c ADD CONSTRAINT fk_c_p FOREIGN KEY (pid) REFERENCES `$DB`.p (id);',
    same: true,
  },
  {
    // The period's key reads (room, e, s) in STATISTICS either way; WITHOUT OVERLAPS refuses
    // two bookings of one room whose periods overlap, the plain key only identical ones.
    name: 'a UNIQUE (room, stay WITHOUT OVERLAPS) replaced by a plain UNIQUE over the same columns',
    migration:
      'CREATE TABLE bookings (id INT PRIMARY KEY, room INT, s DATE NOT NULL, e DATE NOT NULL, PERIOD FOR stay (s, e), UNIQUE KEY room (room, stay WITHOUT OVERLAPS));',
    live: 'ALTER TABLE bookings DROP INDEX room; ALTER TABLE bookings ADD UNIQUE KEY room (room, e, s);',
    same: false,
    drift: /bookings/,
  },
  {
    name: 'an application-time period and its WITHOUT OVERLAPS key re-created in lowercase',
    migration:
      'CREATE TABLE bookings (id INT PRIMARY KEY, room INT, s DATE NOT NULL, e DATE NOT NULL, PERIOD FOR stay (s, e), UNIQUE KEY room (room, stay WITHOUT OVERLAPS));',
    live: 'alter table bookings drop index room; alter table bookings drop period for stay; alter table bookings add period for stay(s,e); alter table bookings add unique (room,stay without overlaps);',
    same: true,
  },
  {
    name: 'an application-time period dropped (its CHECK start < end goes with it)',
    migration:
      'CREATE TABLE bookings (id INT PRIMARY KEY, room INT, s DATE NOT NULL, e DATE NOT NULL, PERIOD FOR stay (s, e));',
    live: 'ALTER TABLE bookings DROP PERIOD FOR stay;',
    same: false,
    drift: /period for `stay`/,
  },
  {
    // A MERGE table reads the tables its UNION names: another list, other rows.
    name: "a MERGE table's UNION given another table",
    migration:
      'CREATE TABLE m1 (id INT) ENGINE=MyISAM; CREATE TABLE m2 (id INT) ENGINE=MyISAM; CREATE TABLE mm (id INT) ENGINE=MRG_MyISAM UNION=(m1) INSERT_METHOD=LAST;',
    live: 'ALTER TABLE mm UNION=(m1, m2);',
    same: false,
    drift: /Table mm is .*union/,
  },
  {
    name: "a MERGE table's UNION and INSERT_METHOD restated in lowercase",
    migration:
      'CREATE TABLE m1 (id INT) ENGINE=MyISAM; CREATE TABLE mm (id INT) ENGINE=MRG_MyISAM UNION=(m1) INSERT_METHOD=LAST;',
    live: 'alter table mm union=(`m1`) insert_method=last;',
    same: true,
  },
  {
    name: 'a view re-created ALGORITHM=TEMPTABLE (read-only now)',
    migration: 'CREATE TABLE items (id INT PRIMARY KEY); CREATE VIEW some_items AS SELECT id FROM items;',
    live: 'CREATE OR REPLACE ALGORITHM=TEMPTABLE VIEW some_items AS SELECT id FROM items;',
    same: false,
    drift: /some_items/,
  },
];

const CASES: Record<TestDialect, Case[]> = { postgres: POSTGRES, sqlite: SQLITE, mysql: MYSQL };

for (const dialect of DIALECTS) {
  describe(`doctor compares meaning, not spelling, on ${dialect}`, () => {
    let db: TestDatabase | undefined;
    const others: string[] = [];
    // A database a case made beside the test database: dropped after it, as its tables are
    // referenced from there.
    const drop = async () => {
      await db?.drop();
      if (others.length === 0) return;
      const admin = await mysqlClient(mysqlAdminUrl());
      try {
        for (const name of others.splice(0)) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await admin.end();
      }
    };
    after(drop);

    for (const c of CASES[dialect]) {
      it(`${c.same ? 'matches' : 'drift'}: ${c.name}`, async () => {
        await drop();
        db = await createTestDatabase(dialect);
        const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
        const dir = writeMigrations(db.dir, { '001_init.sql': sqlMigration(c.migration) });
        const run = (...args: string[]) => cli([...args, '--url', db!.url, '--dir', dir], { cwd: db!.dir });
        const applied = await run('apply');
        assert.equal(applied.code, 0, applied.stderr);
        if (c.live.includes('$DB_other')) others.push(`${name}_other`);
        await rawExec(db, c.live.replaceAll('$DB', name));

        const r = await run('doctor', '--json', '--no-cache');
        const result = r.json<DoctorResult>();
        const advice = result.findings.map((f) => `${f.message} ${f.fix ?? ''}`).join('\n');
        assert.doesNotMatch(advice, /stamp base/);
        if (c.same) {
          assert.equal(result.matches, '001', advice);
          assert.equal(result.ok, true, advice);
          assert.deepEqual(result.drift, []);
          assert.equal(r.code, 0);
        } else {
          assert.equal(result.matches, null, advice);
          assert.equal(result.ok, false);
          assert.ok(result.findings.some((f) => f.code === 'SCHEMA_DRIFT'));
          assert.match(advice, c.drift!);
          // Never the deparser's inside-out spelling of an IN list.
          assert.doesNotMatch(advice, /array"/);
        }
      });
    }
  });
}
