/**
 * Small, precise validation for configuration files (catalog, rules, policies, scenarios): each check
 * names the file and the path of the value that failed, so start-up errors say exactly what to fix.
 */
export class ConfigFileError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    message: string,
  ) {
    super(`${file}: ${path}: ${message}`);
    this.name = 'ConfigFileError';
  }
}

export class Reader {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly value: unknown,
  ) {}

  fail(message: string): never {
    throw new ConfigFileError(this.file, this.path || '(root)', message);
  }

  at(key: string | number): Reader {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    const obj = this.value as Record<string | number, unknown> | undefined;
    return new Reader(this.file, path, obj === null || obj === undefined ? undefined : obj[key]);
  }

  present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  object(allowed?: readonly string[]): Reader {
    if (typeof this.value !== 'object' || this.value === null || Array.isArray(this.value)) this.fail('must be a mapping');
    if (allowed) {
      const unknown = Object.keys(this.value).filter((k) => !allowed.includes(k));
      if (unknown.length) this.fail(`unknown key(s) ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
    }
    return this;
  }

  entries(): [string, Reader][] {
    this.object();
    return Object.keys(this.value as object).map((k) => [k, this.at(k)]);
  }

  list(): Reader[] {
    if (!Array.isArray(this.value)) this.fail('must be a list');
    return (this.value as unknown[]).map((_, i) => this.at(i));
  }

  string(opts: { pattern?: RegExp; oneOf?: readonly string[]; max?: number } = {}): string {
    if (typeof this.value !== 'string' || this.value.length === 0) this.fail('must be a non-empty string');
    const s = this.value as string;
    if (opts.max !== undefined && s.length > opts.max) this.fail(`must be at most ${opts.max} characters`);
    if (opts.oneOf && !opts.oneOf.includes(s)) this.fail(`must be one of ${opts.oneOf.join(', ')}, got "${s}"`);
    if (opts.pattern && !opts.pattern.test(s)) this.fail(`"${s}" does not match ${opts.pattern}`);
    return s;
  }

  number(opts: { min?: number; max?: number; integer?: boolean } = {}): number {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value)) this.fail('must be a number');
    const n = this.value as number;
    if (opts.integer && !Number.isInteger(n)) this.fail(`must be an integer, got ${n}`);
    if (opts.min !== undefined && n < opts.min) this.fail(`must be >= ${opts.min}, got ${n}`);
    if (opts.max !== undefined && n > opts.max) this.fail(`must be <= ${opts.max}, got ${n}`);
    return n;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('must be true or false');
    return this.value as boolean;
  }

  strings(): string[] {
    return this.list().map((r) => r.string());
  }

  optional<T>(read: (r: Reader) => T, fallback: T): T {
    return this.present() ? read(this) : fallback;
  }
}

export function reader(file: string, value: unknown): Reader {
  return new Reader(file, '', value);
}
