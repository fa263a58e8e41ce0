/**
 * Splits a SQL script into statements at top-level semicolons. Understands quotes ('…', "…",
 * `…`, […]), E'…' escapes, dollar quotes ($tag$…$tag$), line and block comments, and SQLite
 * trigger bodies (BEGIN … END, including CASE … END inside them). Statements keep their text;
 * empty ones (only comments or blanks) are dropped.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  // Trigger state: inside CREATE TRIGGER, `;` ends the statement only after the body's END.
  let words: string[] = [];
  let inTrigger = false;
  let bodyDepth = 0;
  let caseDepth = 0;

  const pushWord = (w: string) => {
    const upper = w.toUpperCase();
    if (words.length < 4) {
      words.push(upper);
      if (words[0] === 'CREATE' && words.includes('TRIGGER')) inTrigger = true;
    }
    if (!inTrigger) return;
    if (upper === 'BEGIN') bodyDepth++;
    else if (upper === 'CASE') caseDepth++;
    else if (upper === 'END') {
      if (caseDepth > 0) caseDepth--;
      else if (bodyDepth > 0) bodyDepth--;
    }
  };

  const flush = (end: number) => {
    const text = script.slice(start, end).trim();
    if (text && hasCode(text)) out.push(text);
    start = end + 1;
    words = [];
    inTrigger = false;
    bodyDepth = 0;
    caseDepth = 0;
  };

  while (i < n) {
    const c = script[i]!;
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const eol = script.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      const close = script.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(script[i - 1]!) && !/\w/.test(script[i - 2] ?? ' ');
      i = skipQuoted(script, i, "'", escapes);
    } else if (c === '"' || c === '`') {
      i = skipQuoted(script, i, c, false);
    } else if (c === '[' && words.length > 0) {
      const close = script.indexOf(']', i + 1);
      i = close === -1 ? n : close + 1;
    } else if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64));
      if (m && !/[\w$]/.test(script[i - 1] ?? ' ')) {
        const tag = m[0];
        const close = script.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
      } else i++;
    } else if (c === ';') {
      if (inTrigger && bodyDepth > 0) i++;
      else {
        flush(i);
        i++;
      }
    } else if (isWordStart(script.charCodeAt(i))) {
      let j = i + 1;
      while (j < n && isWordPart(script.charCodeAt(j))) j++;
      // Words matter only to spot CREATE TRIGGER (the first four) and inside a trigger.
      if (words.length < 4 || inTrigger) pushWord(script.slice(i, j));
      i = j;
    } else i++;
  }
  flush(n);
  return out;
}

function skipQuoted(s: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j]!;
    if (backslashEscapes && ch === '\\') j += 2;
    else if (ch === quote) {
      if (s[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
  return s.length;
}

/** Does the text hold anything but comments and whitespace? */
function hasCode(text: string): boolean {
  return (
    text
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim().length > 0
  );
}

/** ASCII letter or underscore. */
function isWordStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/** ASCII letter, digit, underscore or `$`. */
function isWordPart(code: number): boolean {
  return isWordStart(code) || (code >= 48 && code <= 57) || code === 36;
}
