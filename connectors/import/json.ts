import { ImportError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** Describe an offset as `line L, column C` (1-based). Linear; used on error paths only. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function describeOffset(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  if (offset >= text.length) return `end of input (line ${line}, column ${column})`;
  return `line ${line}, column ${column} (offset ${offset})`;
}

/**
 * Locate the first JSON syntax error. Only called after JSON.parse has failed, because V8's
 * messages do not always carry a position. Iterative (no recursion), linear.
 */
export function locateJsonError(t: string): { offset: number; detail: string } {
  const n = t.length;
  let i = 0;
  const stack: number[] = []; // 123 '{' or 91 '['
  const NUM = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const err = (detail: string, at = i) => ({ offset: at, detail: at >= n ? 'unexpected end of input (truncated?)' : detail });
  const ws = () => {
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const unexpected = () => `unexpected character ${JSON.stringify(t[i])}`;
  // returns null on success
  const scanString = (): { offset: number; detail: string } | null => {
    i++; // opening quote
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c === 34) {
        i++;
        return null;
      }
      if (c < 0x20) return err('control character inside a string (unescaped newline?)');
      if (c === 92) {
        const e = t[i + 1];
        if (e === undefined) return err('', n);
        if (e === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(t.slice(i + 2, i + 6))) return err('invalid \\u escape');
          i += 6;
        } else if ('"\\/bfnrt'.includes(e)) i += 2;
        else return err(`invalid escape \\${e}`);
      } else i++;
    }
    return err('', n);
  };
  const scanValue = (): { offset: number; detail: string } | 'open' | null => {
    ws();
    if (i >= n) return err('', n);
    const c = t[i];
    if (c === '{' || c === '[') {
      stack.push(t.charCodeAt(i));
      i++;
      return 'open';
    }
    if (c === '"') return scanString();
    if (c === 't' || c === 'f' || c === 'n') {
      for (const lit of ['true', 'false', 'null']) {
        if (t.startsWith(lit, i)) {
          i += lit.length;
          return null;
        }
      }
      if (i + 5 > n && ['true', 'false', 'null'].some((l) => l.startsWith(t.slice(i)))) return err('', n);
      return err(unexpected());
    }
    NUM.lastIndex = i;
    if (NUM.exec(t)) {
      i = NUM.lastIndex;
      return null;
    }
    return err(unexpected());
  };
  ws();
  if (i >= n) return { offset: 0, detail: 'empty input' };
  let r = scanValue();
  for (;;) {
    if (r !== null && r !== 'open') return r;
    if (r === 'open') {
      ws();
      const closer = stack[stack.length - 1] === 123 ? '}' : ']';
      if (t[i] === closer) {
        i++;
        stack.pop();
      } else if (stack[stack.length - 1] === 123) {
        if (t[i] !== '"') return err(`expected a property name or "}", found ${JSON.stringify(t[i])}`);
        const s = scanString();
        if (s) return s;
        ws();
        if (t[i] !== ':') return err(`expected ":" after a property name, found ${JSON.stringify(t[i])}`);
        i++;
        r = scanValue();
        continue;
      } else {
        r = scanValue();
        continue;
      }
    }
    // after a complete value
    ws();
    if (stack.length === 0) {
      if (i < n) return { offset: i, detail: `unexpected content after the JSON value: ${JSON.stringify(t[i])}` };
      return { offset: n, detail: 'JSON.parse rejected the input' };
    }
    const top = stack[stack.length - 1];
    const closer = top === 123 ? '}' : ']';
    if (t[i] === closer) {
      i++;
      stack.pop();
      r = null;
      continue;
    }
    if (t[i] !== ',') return err(`expected "," or "${closer}", found ${JSON.stringify(t[i])}`);
    i++;
    ws();
    if (top === 123) {
      if (t[i] !== '"') return err(`expected a property name after ",", found ${JSON.stringify(t[i])}`);
      const s = scanString();
      if (s) return s;
      ws();
      if (t[i] !== ':') return err(`expected ":" after a property name, found ${JSON.stringify(t[i])}`);
      i++;
    } else if (t[i] === ']') {
      return err('trailing comma before "]"');
    }
    r = scanValue();
  }
}

/**
 * JSON.parse with a precise, one-line ImportError (position as line/column) on failure.
 * `lineNumber`: the text is one line of a JSON-lines file; positions are reported on that line.
 */
export function parseJsonText(format: string, text: string, lineNumber?: number): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const { offset, detail } = locateJsonError(body);
    let where: string;
    if (lineNumber !== undefined) where = `line ${lineNumber}, column ${Math.min(offset, body.length) + 1}${offset >= body.length ? ' (end of line)' : ''}`;
    else where = describeOffset(body, offset);
    throw new ImportError(format, where, `invalid JSON: ${detail}`);
  }
}

export function keyPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Typed accessors that throw an ImportError naming the JSON path of the offending field. */
export class JsonReader {
  constructor(readonly format: string) {}

  fail(path: string, detail: string): never {
    throw new ImportError(this.format, path, detail);
  }

  object(v: unknown, path: string): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `expected an object, found ${typeName(v)}`);
    return v as JsonObject;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, found ${typeName(v)}`);
    return v as unknown[];
  }

  reqObject(o: JsonObject, key: string, path: string): JsonObject {
    if (!(key in o)) this.fail(keyPath(path, key), 'missing required object');
    return this.object(o[key], keyPath(path, key));
  }

  optObject(o: JsonObject, key: string, path: string): JsonObject | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    return this.object(v, keyPath(path, key));
  }

  reqArray(o: JsonObject, key: string, path: string): unknown[] {
    if (!(key in o)) this.fail(keyPath(path, key), 'missing required array');
    return this.array(o[key], keyPath(path, key));
  }

  /** Absent or null → []. */
  optArray(o: JsonObject, key: string, path: string): unknown[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    return this.array(v, keyPath(path, key));
  }

  /** Required string (may be empty unless nonEmpty). */
  str(o: JsonObject, key: string, path: string, nonEmpty = true): string {
    const v = o[key];
    const p = keyPath(path, key);
    if (v === undefined) this.fail(p, 'missing required string');
    if (typeof v !== 'string') this.fail(p, `expected a string, found ${typeName(v)}`);
    if (nonEmpty && (v as string).trim() === '') this.fail(p, 'must not be empty');
    return v as string;
  }

  /** Optional string: absent, null or empty → null. */
  optStr(o: JsonObject, key: string, path: string): string | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') this.fail(keyPath(path, key), `expected a string, found ${typeName(v)}`);
    return (v as string) === '' ? null : (v as string);
  }

  /** Required identifier that some scanners write as a number and others as a string. */
  id(o: JsonObject, key: string, path: string): string {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.str(o, key, path);
  }

  optId(o: JsonObject, key: string, path: string): string | null {
    const v = o[key];
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.optStr(o, key, path);
  }

  optNum(o: JsonObject, key: string, path: string): number | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(keyPath(path, key), `expected a number, found ${typeName(v)}`);
    return v as number;
  }

  /** Optional non-negative integer (e.g. a line number); absent/null → null. */
  optInt(o: JsonObject, key: string, path: string): number | null {
    const v = this.optNum(o, key, path);
    if (v === null) return null;
    if (!Number.isInteger(v) || v < 0 || v > 2147483647) this.fail(keyPath(path, key), `expected a non-negative integer, found ${v}`);
    return v;
  }

  reqInt(o: JsonObject, key: string, path: string): number {
    if (o[key] === undefined || o[key] === null) this.fail(keyPath(path, key), 'missing required integer');
    return this.optInt(o, key, path) as number;
  }

  /** A string or an array of strings (null/absent → []). */
  strList(o: JsonObject, key: string, path: string): string[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return v === '' ? [] : [v];
    const arr = this.array(v, keyPath(path, key));
    return arr.map((x, i) => {
      if (typeof x !== 'string') this.fail(keyPath(keyPath(path, key), i), `expected a string, found ${typeName(x)}`);
      return x as string;
    });
  }

  optBool(o: JsonObject, key: string, path: string): boolean | null {
    const v = o[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') this.fail(keyPath(path, key), `expected a boolean, found ${typeName(v)}`);
    return v as boolean;
  }
}
