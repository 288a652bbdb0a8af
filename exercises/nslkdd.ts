import { readFileSync } from 'node:fs';
import { CONNECTION_ATTRIBUTES, CONNECTION_STRING_ATTRIBUTES, CONNECTION_TRAFFIC_ATTRIBUTES, type NetworkConnection } from '../lib/events.js';
import { fromRoot } from '../lib/paths.js';

/** The NSL-KDD labels copied into exercises/data/nslkdd.csv (by exercises/data/select.py) and their attack category. */
export const NSLKDD_CATEGORY: Record<string, 'normal' | 'dos' | 'probe' | 'r2l' | 'u2r'> = {
  normal: 'normal',
  neptune: 'dos',
  smurf: 'dos',
  back: 'dos',
  teardrop: 'dos',
  satan: 'probe',
  portsweep: 'probe',
  ipsweep: 'probe',
  nmap: 'probe',
  guess_passwd: 'r2l',
  warezclient: 'r2l',
  ftp_write: 'r2l',
  buffer_overflow: 'u2r',
  rootkit: 'u2r',
  loadmodule: 'u2r',
};

export const NSLKDD_FILE = fromRoot('exercises/data/nslkdd.csv');

export type NslKddRow = Omit<NetworkConnection, 'src_ip' | 'src_port' | 'dst_ip' | 'dst_port'>;

let cache: Map<string, NslKddRow[]> | null = null;

/** The copied rows by label, in file order (41 attributes, then the label). */
export function nslKddRows(file = NSLKDD_FILE): Map<string, NslKddRow[]> {
  if (cache && file === NSLKDD_FILE) return cache;
  const byLabel = new Map<string, NslKddRow[]>();
  const strings = new Set<string>(CONNECTION_STRING_ATTRIBUTES);
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .forEach((line, i) => {
      const cells = line.split(',');
      if (cells.length !== CONNECTION_ATTRIBUTES.length + 1) throw new Error(`${file}:${i + 1}: expected ${CONNECTION_ATTRIBUTES.length + 1} fields, got ${cells.length}`);
      const row: Record<string, string | number> = {};
      CONNECTION_ATTRIBUTES.forEach((name, j) => {
        row[name] = strings.has(name) ? cells[j] : Number(cells[j]);
        if (typeof row[name] === 'number' && !Number.isFinite(row[name])) throw new Error(`${file}:${i + 1}: ${name} is not a number`);
      });
      const label = cells[CONNECTION_ATTRIBUTES.length];
      if (!byLabel.has(label)) byLabel.set(label, []);
      byLabel.get(label)!.push(row as unknown as NslKddRow);
    });
  if (file === NSLKDD_FILE) cache = byLabel;
  return byLabel;
}

const SERVICE_PORTS: Record<string, number> = { http: 80, smtp: 25, ftp: 21, ftp_data: 20, telnet: 23, domain_u: 53, private: 5000, ecr_i: 0, eco_i: 0, finger: 79, pop_3: 110, imap4: 143, ssh: 22, urp_i: 0 };

/** A connection event payload from a row: addresses of the attacker and the target; traffic features kept or left to correlate. */
export function connectionFromRow(row: NslKddRow, opts: { srcIp: string; srcPort: number; dstIp: string; traffic: 'dataset' | 'computed' }): NetworkConnection {
  const conn = { ...row, src_ip: opts.srcIp, src_port: opts.srcPort, dst_ip: opts.dstIp, dst_port: row.protocol_type === 'icmp' ? 0 : (SERVICE_PORTS[row.service] ?? 1024) } as NetworkConnection;
  if (opts.traffic === 'computed') for (const a of CONNECTION_TRAFFIC_ATTRIBUTES) (conn as Record<string, unknown>)[a] = null;
  return conn;
}
