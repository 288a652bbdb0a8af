/**
 * Splits a SQL script into statements on `;`, ignoring semicolons inside quoted strings ('…', "…",
 * `…`, with backslash and doubled-quote escapes) and comments (-- to the end of the line, /* … *\/).
 * Statements that hold only comments and whitespace are dropped.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let current = '';
  let meaningful = false;
  let i = 0;
  const n = script.length;
  const push = () => {
    if (meaningful) out.push(current.trim());
    current = '';
    meaningful = false;
  };
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      current += script.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated /* comment in SQL script');
      current += script.slice(i, end + 2);
      i = end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new Error(`unterminated ${c} quote in SQL script`);
        if (script[j] === '\\') j += 2;
        else if (script[j] === c && script[j + 1] === c) j += 2;
        else if (script[j] === c) break;
        else j += 1;
      }
      current += script.slice(i, j + 1);
      meaningful = true;
      i = j + 1;
    } else if (c === ';') {
      push();
      i += 1;
    } else {
      if (!/\s/.test(c)) meaningful = true;
      current += c;
      i += 1;
    }
  }
  push();
  return out;
}

/**
 * Replaces `{name}` placeholders (no type: ClickHouse query parameters look like `{name:Type}` and are
 * left alone) with the given values. An unknown placeholder is an error, so a typo cannot reach the server.
 */
export function substitute(sql: string, values: Record<string, string | number>): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`unknown placeholder {${name}}; known: ${Object.keys(values).map((k) => `{${k}}`).join(', ')}`);
    return String(values[name]);
  });
}
