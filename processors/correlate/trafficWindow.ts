import type { NetworkConnection, TrafficAttribute } from '../../lib/events.js';
import { type Conn, ConnWindow } from './connWindow.js';
import type { TrafficRules } from './rules.js';

/**
 * The NSL-KDD time- and host-based traffic attributes (fields 23–41, Tavallaee et al. 2009, table of
 * KDD'99 features), computed per entity over its own connections:
 *
 *  time-based, over the connections of the past `time_window_ms` (event time in (t − 2 s, t]):
 *   count               connections to the same destination host as the current one
 *   srv_count           connections to the same service as the current one
 *   serror_rate         % of the `count` connections with a SYN error (flag S0, S1, S2, S3)
 *   srv_serror_rate     % of the `srv_count` connections with a SYN error
 *   rerror_rate         % of the `count` connections with a REJ error
 *   srv_rerror_rate     % of the `srv_count` connections with a REJ error
 *   same_srv_rate       % of the `count` connections to the same service
 *   diff_srv_rate       % of the `count` connections to a different service
 *   srv_diff_host_rate  % of the `srv_count` connections to a different destination host
 *  host-based, over the past `host_window_connections` connections (and no older than the age bound):
 *   dst_host_count               connections to the same destination host
 *   dst_host_srv_count           connections to the same service
 *   dst_host_same_srv_rate       % of the dst_host_count connections to the same service
 *   dst_host_diff_srv_rate       % of the dst_host_count connections to a different service
 *   dst_host_same_src_port_rate  % of the dst_host_srv_count connections from the same source port
 *   dst_host_srv_diff_host_rate  % of the dst_host_srv_count connections to a different destination host
 *   dst_host_serror_rate / dst_host_rerror_rate          among dst_host_count
 *   dst_host_srv_serror_rate / dst_host_srv_rerror_rate  among dst_host_srv_count
 *
 * The current connection is part of its own windows (so count ≥ 1), rates are fractions rounded to two
 * decimals, and counts are capped as in the dataset (count/srv_count ≤ 511, dst_host_* counts ≤ 255).
 * (That dst_host_srv_count counts the same service on any host, not only on the same host, follows the
 * feature table — fields 36/37 are fractions of it that go to other hosts — and the data: in KDDTrain+
 * dst_host_srv_count exceeds dst_host_count in about a quarter of the rows.)
 */
export type TrafficFeatures = Record<TrafficAttribute, number>;

const MAX_COUNT = 511;
const MAX_DST_HOST_COUNT = 255;

export function toConn(c: NetworkConnection, time: number, rules: TrafficRules): Conn {
  return {
    time,
    dst: c.dst_ip,
    service: c.service,
    srcPort: c.src_port,
    serror: rules.serror_flags.includes(c.flag),
    rerror: rules.rerror_flags.includes(c.flag),
  };
}

/**
 * Adds the connection to the window when `accept` (it is in time), evicts what no in-time connection can
 * need any more, and returns the connection's features over the window as it now stands — or null when
 * `withFeatures` is false (the sensor measured them: the window still needs the connection for later ones).
 */
export function observeConnection(
  w: ConnWindow,
  conn: Conn,
  accept: boolean,
  watermark: number,
  rules: TrafficRules,
  withFeatures = true,
): TrafficFeatures | null {
  // Window members are position ranges of the window, followed by the connection itself when it is too
  // late to be inserted.
  if (accept) w.insert(conn);
  let features: TrafficFeatures | null = null;
  if (withFeatures) {
    const end = w.upper(conn.time); // after the last member: the connection itself when it was inserted
    const own = accept ? 0 : 1;
    const timeFrom = w.upper(conn.time - rules.time_window_ms);
    const hostFrom = Math.max(end - rules.host_window_connections + own, w.upper(conn.time - rules.host_window_max_age_ms));
    features = computeFeatures(w, conn, timeFrom, hostFrom, end, !accept);
  }
  if (accept) w.evict(watermark - Math.max(rules.time_window_ms, rules.host_window_max_age_ms), rules.max_connections_per_entity);
  return features;
}

/**
 * Features of `cur` over its two windows: positions [timeFrom, end) and [hostFrom, end) of `w`, each
 * followed by `cur` itself when `withCur`.
 */
function computeFeatures(w: ConnWindow, cur: Conn, timeFrom: number, hostFrom: number, end: number, withCur: boolean): TrafficFeatures {
  const dst = w.idOf(cur.dst); // -1 (no member matches) for a late connection to a destination not kept
  const service = w.idOf(cur.service);
  const self = withCur ? 1 : 0;
  const selfS = withCur && cur.serror ? 1 : 0;
  const selfR = withCur && cur.rerror ? 1 : 0;
  // cur is a member of its own windows with the same host, service and port.
  let host = self, hostSrv = self, hostS = selfS, hostR = selfR;
  let srv = self, srvDiffHost = 0, srvS = selfS, srvR = selfR;
  for (let i = timeFrom; i < end; i++) {
    const sameHost = w.dstAt(i) === dst;
    const sameSrv = w.serviceAt(i) === service;
    if (sameHost) {
      host++;
      if (sameSrv) hostSrv++;
      if (w.serrorAt(i)) hostS++;
      if (w.rerrorAt(i)) hostR++;
    }
    if (sameSrv) {
      srv++;
      if (!sameHost) srvDiffHost++;
      if (w.serrorAt(i)) srvS++;
      if (w.rerrorAt(i)) srvR++;
    }
  }
  let dh = self, dhSameSrv = self, dhS = selfS, dhR = selfR;
  let ds = self, dsSamePort = self, dsDiffHost = 0, dsS = selfS, dsR = selfR;
  for (let i = hostFrom; i < end; i++) {
    const sameHost = w.dstAt(i) === dst;
    const sameSrv = w.serviceAt(i) === service;
    if (sameHost) {
      dh++;
      if (sameSrv) dhSameSrv++;
      if (w.serrorAt(i)) dhS++;
      if (w.rerrorAt(i)) dhR++;
    }
    if (sameSrv) {
      ds++;
      if (w.srcPortAt(i) === cur.srcPort) dsSamePort++;
      if (!sameHost) dsDiffHost++;
      if (w.serrorAt(i)) dsS++;
      if (w.rerrorAt(i)) dsR++;
    }
  }
  return {
    count: Math.min(host, MAX_COUNT),
    srv_count: Math.min(srv, MAX_COUNT),
    serror_rate: rate(hostS, host),
    srv_serror_rate: rate(srvS, srv),
    rerror_rate: rate(hostR, host),
    srv_rerror_rate: rate(srvR, srv),
    same_srv_rate: rate(hostSrv, host),
    diff_srv_rate: rate(host - hostSrv, host),
    srv_diff_host_rate: rate(srvDiffHost, srv),
    dst_host_count: Math.min(dh, MAX_DST_HOST_COUNT),
    dst_host_srv_count: Math.min(ds, MAX_DST_HOST_COUNT),
    dst_host_same_srv_rate: rate(dhSameSrv, dh),
    dst_host_diff_srv_rate: rate(dh - dhSameSrv, dh),
    dst_host_same_src_port_rate: rate(dsSamePort, ds),
    dst_host_srv_diff_host_rate: rate(dsDiffHost, ds),
    dst_host_serror_rate: rate(dhS, dh),
    dst_host_srv_serror_rate: rate(dsS, ds),
    dst_host_rerror_rate: rate(dhR, dh),
    dst_host_srv_rerror_rate: rate(dsR, ds),
  };
}

/** A fraction in [0, 1] rounded to two decimals, computed from integers so it does not drift. */
export function rate(num: number, den: number): number {
  return den === 0 ? 0 : Math.round((num * 100) / den) / 100;
}
