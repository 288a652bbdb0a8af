import { describe, expect, it } from 'vitest';
import { bindParams, listSavedQueries, parseParams, parseSavedQuery } from './queries.js';

describe('saved queries', () => {
  it('the daily questions are all there, each with a description and declared parameters', () => {
    const queries = listSavedQueries();
    expect(queries.map((q) => q.name)).toEqual(['alerts_per_hour', 'detection_latency', 'dlq_by_reason', 'model_drift', 'purple_coverage', 'score_distribution', 'top_agents', 'top_hosts']);
    for (const q of queries) {
      expect(q.description.length).toBeGreaterThan(20);
      expect(q.sql).toMatch(/^SELECT/);
    }
    expect(queries.find((q) => q.name === 'top_agents')!.params).toEqual([
      { name: 'hours', type: 'UInt32', default: '24', description: 'look-back window in hours' },
      { name: 'limit', type: 'UInt32', default: '10', description: 'how many agents' },
    ]);
    expect(queries.find((q) => q.name === 'purple_coverage')!.params[0].default).toBe('');
  });

  it('a parameter used but not declared, or declared with another type, is an error', () => {
    expect(() => parseSavedQuery('x', '-- Some description here.\nSELECT {a:UInt8}')).toThrow(/not declared/);
    expect(() => parseSavedQuery('x', '-- Some description here.\n-- @param a UInt16 = 1\nSELECT {a:UInt8}')).toThrow(/declared UInt16 but used as UInt8/);
    expect(() => parseSavedQuery('x', 'SELECT 1')).toThrow(/no description/);
  });

  it('binds defaults, overrides and refuses unknown parameters', () => {
    const q = parseSavedQuery('x', '-- Some description here.\n-- @param a UInt8 = 1 | first\n-- @param b String = \'\'\nSELECT {a:UInt8}, {b:String}');
    expect(bindParams(q, {})).toEqual({ a: '1', b: '' });
    expect(bindParams(q, { b: 'z' })).toEqual({ a: '1', b: 'z' });
    expect(() => bindParams(q, { c: '1' })).toThrow(/has no parameter c/);
    expect(parseParams(['a=1', 'b=x=y'])).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseParams(['a'])).toThrow(/key=value/);
    expect(() => parseParams(['a=1', 'a=2'])).toThrow(/twice/);
  });
});
