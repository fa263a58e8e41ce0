import { cutStatements, type SqlToken } from '../statements.js';
import { tokenize } from './create-sql.js';

/** Token classes of sqlite3_complete() (SQLite's src/complete.c), whose state machine this follows. */
type Token = 'semi' | 'other' | 'explain' | 'create' | 'temp' | 'trigger' | 'end';
type State = 'start' | 'normal' | 'explain' | 'create' | 'trigger' | 'semi' | 'end';

/** complete.c's transition table, state by token (whitespace and comments are not tokens here). */
const NEXT: Record<State, Record<Token, State>> = {
  start: {
    semi: 'start',
    other: 'normal',
    explain: 'explain',
    create: 'create',
    temp: 'normal',
    trigger: 'normal',
    end: 'normal',
  },
  normal: {
    semi: 'start',
    other: 'normal',
    explain: 'normal',
    create: 'normal',
    temp: 'normal',
    trigger: 'normal',
    end: 'normal',
  },
  explain: {
    semi: 'start',
    other: 'explain',
    explain: 'normal',
    create: 'create',
    temp: 'normal',
    trigger: 'normal',
    end: 'normal',
  },
  create: {
    semi: 'start',
    other: 'normal',
    explain: 'normal',
    create: 'normal',
    temp: 'create',
    trigger: 'trigger',
    end: 'normal',
  },
  trigger: {
    semi: 'semi',
    other: 'trigger',
    explain: 'trigger',
    create: 'trigger',
    temp: 'trigger',
    trigger: 'trigger',
    end: 'trigger',
  },
  semi: {
    semi: 'semi',
    other: 'trigger',
    explain: 'trigger',
    create: 'trigger',
    temp: 'trigger',
    trigger: 'trigger',
    end: 'end',
  },
  end: {
    semi: 'start',
    other: 'trigger',
    explain: 'trigger',
    create: 'trigger',
    temp: 'trigger',
    trigger: 'trigger',
    end: 'trigger',
  },
};

function classify(t: SqlToken): Token {
  if (t.kind === 'punct') return t.text === ';' ? 'semi' : 'other';
  if (t.kind !== 'word') return 'other';
  switch (t.text) {
    case 'EXPLAIN':
      return 'explain';
    case 'CREATE':
      return 'create';
    case 'TEMP':
    case 'TEMPORARY':
      return 'temp';
    case 'TRIGGER':
      return 'trigger';
    case 'END':
      return 'end';
    default:
      return 'other';
  }
}

/**
 * Splits a SQLite script into statements where sqlite3_complete() would: at a `;`, except
 * inside CREATE [TEMP] TRIGGER, which ends only at `; END ;` (so CASE … END inside the body is
 * harmless). SQLite's lexer (tokenize.c): block comments do not nest (the first
 * star-slash closes them), backslashes are literal, identifiers may be "…", `…` or […] quoted, and `$` starts
 * a parameter, never a dollar quote.
 */
export function splitSqliteStatements(script: string): string[] {
  let state: State = 'start';
  return cutStatements(script, tokenize(script), (t) => {
    state = NEXT[state][classify(t)];
    return state === 'start';
  });
}
