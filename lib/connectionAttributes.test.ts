import { describe, expect, it } from 'vitest';
import { attributeColumns, firstNegativeAttribute, hasTrafficAttributes, missingTrafficAttributes } from './connectionAttributes.js';
import { CONNECTION_ATTRIBUTES, CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from './events.js';

function connection(overrides: Record<string, unknown> = {}): NetworkConnection {
  const c: Record<string, unknown> = { src_ip: '10.0.0.1', src_port: 40000, dst_ip: '10.0.0.2', dst_port: 80 };
  CONNECTION_ATTRIBUTES.forEach((a, i) => (c[a] = i * 0.5));
  Object.assign(c, { protocol_type: 'tcp', service: '-1', flag: 'SF' }, overrides);
  return c as NetworkConnection;
}

describe('compiled connection checks', () => {
  it('finds the first negative numeric attribute in dataset order, and none in a clean connection', () => {
    expect(firstNegativeAttribute(connection())).toBeUndefined();
    expect(firstNegativeAttribute(connection({ hot: -1, dst_host_count: -3 }))).toBe('hot');
    expect(firstNegativeAttribute(connection({ dst_host_srv_rerror_rate: -0.01 }))).toBe('dst_host_srv_rerror_rate');
    // Ports are range-checked on their own; strings and nulls are not numbers.
    expect(firstNegativeAttribute(connection({ src_port: -1, service: '-5', count: null }))).toBeUndefined();
  });

  it('says whether all 19 traffic attributes are finite numbers, and names the ones that are not', () => {
    expect(hasTrafficAttributes(connection())).toBe(true);
    for (const bad of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, '3']) {
      const c = connection({ srv_diff_host_rate: bad });
      expect(hasTrafficAttributes(c)).toBe(false);
      expect(missingTrafficAttributes(c)).toEqual(['srv_diff_host_rate']);
    }
    const none = connection(Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((a) => [a, null])));
    expect(missingTrafficAttributes(none)).toEqual([...CONNECTION_TRAFFIC_ATTRIBUTES]);
  });

  it('reads rows into one column per attribute, in dataset order', () => {
    const rows = [connection({ duration: 7, service: 'http', count: null }), connection({ duration: 8, service: 'ftp' })];
    const columns = attributeColumns(rows);
    expect(columns).toHaveLength(CONNECTION_ATTRIBUTES.length);
    CONNECTION_ATTRIBUTES.forEach((a, k) => expect(columns[k]).toEqual(rows.map((r) => r[a])));
    expect(columns[CONNECTION_ATTRIBUTES.indexOf('service')]).toEqual(['http', 'ftp']);
    expect(columns[CONNECTION_ATTRIBUTES.indexOf('count')]).toEqual([null, rows[1].count]);
    expect(attributeColumns([]).every((c) => c.length === 0)).toBe(true);
  });
});
