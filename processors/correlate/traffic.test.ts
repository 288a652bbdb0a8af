import { describe, expect, it } from 'vitest';
import { CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from '../../lib/events.js';
import { byId, conn, feed } from './testkit.js';

const features = (o: { event: { payload: unknown } }) =>
  Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((k) => [k, (o.event.payload as NetworkConnection)[k]]));

describe('NSL-KDD traffic features', () => {
  it('match hand-computed values for a small sequence', async () => {
    const A = 'agent-a';
    const { out } = await feed([
      conn(A, 0, { id: 'c1', dst: '10.0.0.1', service: 'http', flag: 'S0', sport: 1000 }),
      conn(A, 500, { id: 'c2', dst: '10.0.0.1', service: 'http', flag: 'SF', sport: 1001 }),
      conn(A, 1000, { id: 'c3', dst: '10.0.0.2', service: 'http', flag: 'REJ', sport: 1000 }),
      conn(A, 1500, { id: 'c4', dst: '10.0.0.1', service: 'ftp', flag: 'SF', sport: 1000 }),
      conn(A, 2000, { id: 'c5', dst: '10.0.0.1', service: 'http', flag: 'S0', sport: 1000 }),
    ]);
    expect(out).toHaveLength(5);
    expect(out.every((o) => o.traffic_features === 'COMPUTED' && o.signals.length === 0)).toBe(true);
    // c4 at 1.5 s: all of c1..c4 are in the past 2 s.
    expect(features(byId(out, 'c4'))).toMatchObject({
      count: 3, srv_count: 1, serror_rate: 0.33, srv_serror_rate: 0, rerror_rate: 0, srv_rerror_rate: 0,
      same_srv_rate: 0.33, diff_srv_rate: 0.67, srv_diff_host_rate: 0,
    });
    // c5 at 2.0 s: c1 (exactly 2 s before) is out of the time window, but in the 100-connection window.
    expect(features(byId(out, 'c5'))).toEqual({
      count: 3, // c2 c4 c5 to 10.0.0.1
      srv_count: 3, // c2 c3 c5 http
      serror_rate: 0.33, // c5 of 3
      srv_serror_rate: 0.33, // c5 of 3
      rerror_rate: 0,
      srv_rerror_rate: 0.33, // c3 of 3
      same_srv_rate: 0.67, // c2 c5 of 3
      diff_srv_rate: 0.33, // c4
      srv_diff_host_rate: 0.33, // c3
      dst_host_count: 4, // c1 c2 c4 c5
      dst_host_srv_count: 4, // c1 c2 c3 c5
      dst_host_same_srv_rate: 0.75, // c1 c2 c5 of 4
      dst_host_diff_srv_rate: 0.25, // c4
      dst_host_same_src_port_rate: 0.75, // c1 c3 c5 (port 1000) of 4
      dst_host_srv_diff_host_rate: 0.25, // c3
      dst_host_serror_rate: 0.5, // c1 c5
      dst_host_srv_serror_rate: 0.5, // c1 c5
      dst_host_rerror_rate: 0,
      dst_host_srv_rerror_rate: 0.25, // c3
    });
    // The other fields of the connection are untouched.
    expect((byId(out, 'c5').event.payload as NetworkConnection).flag).toBe('S0');
  });

  it('a neptune-like burst: 20 S0 connections to one host/service within 1 s', async () => {
    const { out } = await feed(Array.from({ length: 20 }, (_, i) => conn('victim', 10_000 + i * 50, { flag: 'S0', sport: 20000 + i, service: 'private' })));
    expect(features(out[19])).toMatchObject({
      count: 20, srv_count: 20, serror_rate: 1, srv_serror_rate: 1, same_srv_rate: 1, diff_srv_rate: 0, srv_diff_host_rate: 0,
      dst_host_count: 20, dst_host_srv_count: 20, dst_host_same_srv_rate: 1, dst_host_serror_rate: 1, dst_host_srv_serror_rate: 1,
      dst_host_same_src_port_rate: 0.05, rerror_rate: 0,
    });
    expect(features(out[0])).toMatchObject({ count: 1, serror_rate: 1, dst_host_count: 1 });
  });

  it('the time window is (t − 2 s, t]: exactly 2 s apart is out, 1 ms less is in', async () => {
    const { out } = await feed([
      conn('e', 0, { id: 'a' }),
      conn('e', 2000, { id: 'b' }),
      conn('f', 0, { id: 'c' }),
      conn('f', 1999, { id: 'd' }),
    ]);
    expect(features(byId(out, 'b')).count).toBe(1);
    expect(features(byId(out, 'b')).dst_host_count).toBe(2);
    expect(features(byId(out, 'd')).count).toBe(2);
  });

  it('the host window holds the past 100 connections (including the current one)', async () => {
    const events = Array.from({ length: 150 }, (_, i) => conn('h', i * 1000, { dst: i % 2 ? '10.0.0.1' : '10.0.0.2', sport: 1000 + i }));
    const { out } = await feed(events);
    const last = features(out[149]); // to 10.0.0.1; the last 100 alternate hosts
    expect(last.dst_host_count).toBe(50);
    expect(last.dst_host_srv_count).toBe(100);
    expect(last.dst_host_srv_diff_host_rate).toBe(0.5);
    expect(last.dst_host_same_src_port_rate).toBe(0.01);
    expect(last.count).toBe(1); // the previous connection (1 s before) went to the other host
    expect(last.srv_count).toBe(2);
  });

  it('keeps the sensor values when all 19 are present, computes otherwise', async () => {
    const traffic = Object.fromEntries(CONNECTION_TRAFFIC_ATTRIBUTES.map((k, i) => [k, i % 2 ? 0.5 : 7]));
    const partial = { count: 99 };
    const { out } = await feed([conn('s', 0, { id: 'sensor', traffic }), conn('s', 10, { id: 'partial', traffic: partial })]);
    expect(byId(out, 'sensor').traffic_features).toBe('SENSOR');
    expect(features(byId(out, 'sensor'))).toEqual(traffic);
    expect(byId(out, 'partial').traffic_features).toBe('COMPUTED');
    expect(features(byId(out, 'partial')).count).toBe(2); // the sensor connection is in the window too
  });

  it('a late connection is forwarded with features from the current window but does not enter it', async () => {
    const { d, out } = await feed([
      conn('l', 100_000, { id: 'now1' }),
      conn('l', 100_500, { id: 'now2' }),
      conn('l', 60_000, { id: 'late' }), // 40 s behind, lateness 30 s
      conn('l', 80_000, { id: 'in-lateness' }), // 20.5 s behind: accepted
      conn('l', 101_000, { id: 'now3' }),
    ]);
    expect(out.map((o) => o.event.event_id)).toEqual(['now1', 'now2', 'late', 'in-lateness', 'now3']);
    expect(features(byId(out, 'late'))).toMatchObject({ count: 1, dst_host_count: 1 });
    expect(features(byId(out, 'now3'))).toMatchObject({ count: 3, dst_host_count: 4 }); // now1 now2 now3 / + in-lateness
    expect(d.dropped).toEqual({});
  });
});
