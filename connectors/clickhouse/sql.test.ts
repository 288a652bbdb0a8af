import { describe, expect, it } from 'vitest';
import { loadMigrations } from './migrate.js';
import { splitStatements, substitute } from './sql.js';

describe('splitStatements', () => {
  it('splits on semicolons outside strings, identifiers and comments, dropping comment-only pieces', () => {
    const script = `-- header; not a statement
CREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Memory; /* c; d */
SELECT "we;ird", \`x;y\`, 'it''s; fine', 'back\\'slash;' FROM a;
-- trailing comment;
`;
    expect(splitStatements(script)).toEqual([
      `-- header; not a statement
CREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Memory`,
      `/* c; d */
SELECT "we;ird", \`x;y\`, 'it''s; fine', 'back\\'slash;' FROM a`,
    ]);
  });

  it('refuses unterminated quotes and comments', () => {
    expect(() => splitStatements("SELECT 'x")).toThrow(/unterminated/);
    expect(() => splitStatements('SELECT 1 /* x')).toThrow(/unterminated/);
  });
});

describe('substitute', () => {
  it('replaces {name} and leaves {name:Type} query parameters alone', () => {
    expect(substitute('TTL t + INTERVAL {ttl_days} DAY WHERE h = {hours:UInt32}', { ttl_days: 7 })).toBe('TTL t + INTERVAL 7 DAY WHERE h = {hours:UInt32}');
    expect(() => substitute('{ttl_dayz}', { ttl_days: 7 })).toThrow(/unknown placeholder \{ttl_dayz\}/);
  });
});

describe('migration files', () => {
  it('are numbered, split into statements, and carry the TTL everywhere a table is created', () => {
    const migrations = loadMigrations(90);
    expect(migrations.map((m) => m.version)).toEqual(['0001_tables.sql', '0002_views.sql', '0003_model_drift.sql']);
    for (const m of migrations) {
      for (const s of m.statements) {
        expect(s).not.toMatch(/\{ttl_days\}/);
        if (/CREATE TABLE/.test(s)) expect(s).toMatch(/TTL .* \+ INTERVAL 90 DAY/);
        if (/^(?:--[^\n]*\n|\s)*CREATE/.test(s)) expect(s).toMatch(/IF NOT EXISTS/);
      }
    }
  });
});
