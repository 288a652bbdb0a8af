import { describe, expect, it } from 'vitest';
import type { NetworkConnection } from '../../lib/events.js';
import { sampleRows } from '../../lib/models/testkit.js';
import { modelCategory, scoreSeverity, withAsset } from './policy.js';

const base = Object.fromEntries(
  ['duration', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment', 'urgent', 'hot', 'num_failed_logins', 'logged_in', 'num_compromised', 'root_shell',
    'su_attempted', 'num_root', 'num_file_creations', 'num_shells', 'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login', 'count',
    'srv_count', 'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate', 'same_srv_rate', 'diff_srv_rate', 'srv_diff_host_rate',
    'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate', 'dst_host_diff_srv_rate', 'dst_host_same_src_port_rate',
    'dst_host_srv_diff_host_rate', 'dst_host_serror_rate', 'dst_host_srv_serror_rate', 'dst_host_rerror_rate', 'dst_host_srv_rerror_rate'].map((k) => [k, 0]),
) as unknown as NetworkConnection;
const conn = (over: Partial<NetworkConnection>) => ({ ...base, protocol_type: 'tcp', service: 'http', flag: 'SF', ...over }) as NetworkConnection;

describe('policy', () => {
  it('categorises model alerts from the features', () => {
    expect(modelCategory(conn({ serror_rate: 1, count: 200, flag: 'S0' }))).toBe('dos');
    expect(modelCategory(conn({ wrong_fragment: 3 }))).toBe('dos');
    expect(modelCategory(conn({ rerror_rate: 0.9, diff_srv_rate: 0.8 }))).toBe('probe');
    expect(modelCategory(conn({ dst_host_diff_srv_rate: 0.7 }))).toBe('probe');
    expect(modelCategory(conn({ num_failed_logins: 2 }))).toBe('r2l');
    expect(modelCategory(conn({ root_shell: 1, num_failed_logins: 1 }))).toBe('u2r');
    expect(modelCategory(conn({ src_bytes: 10 }))).toBe('network_intrusion');
    expect(modelCategory(conn({ count: null as unknown as number }))).toBe('network_intrusion');
    expect(modelCategory(conn({ serror_rate: 1, diff_srv_rate: 1, count: 511 }))).toBe('probe'); // SYN scan across services
    expect(modelCategory(conn({ protocol_type: 'icmp', service: 'eco_i' }))).toBe('probe');
    expect(modelCategory(conn({ protocol_type: 'icmp', service: 'ecr_i', src_bytes: 1032 }))).toBe('dos');
    expect(modelCategory(conn({ flag: 'SH' }))).toBe('probe');
    expect(modelCategory(conn({ src_bytes: 54540, hot: 2, num_compromised: 1 }))).toBe('dos');
  });

  it('puts the attack sample rows of the committed model in their NSL-KDD family', () => {
    const FAMILY: Record<string, string> = {
      back: 'dos', land: 'dos', neptune: 'dos', pod: 'dos', smurf: 'dos', teardrop: 'dos',
      ipsweep: 'probe', nmap: 'probe', portsweep: 'probe', satan: 'probe',
      ftp_write: 'r2l', guess_passwd: 'r2l', imap: 'r2l', multihop: 'r2l', phf: 'r2l', spy: 'r2l', warezclient: 'r2l', warezmaster: 'r2l',
      buffer_overflow: 'u2r', loadmodule: 'u2r', perl: 'u2r', rootkit: 'u2r',
    };
    // A heuristic, measured at 96% of KDDTrain+ attacks in their family (r2l/u2r far weaker, see README):
    // every DoS and probe sample row must land right, and most of the rest.
    const known = sampleRows().filter((r) => r.true_class in FAMILY);
    expect(known.length).toBeGreaterThan(3);
    const placed = known.map((r) => ({ cls: r.true_class, family: FAMILY[r.true_class], got: modelCategory(r.input as unknown as NetworkConnection) }));
    for (const p of placed.filter((x) => x.family === 'dos' || x.family === 'probe')) expect([p.cls, p.got]).toEqual([p.cls, p.family]);
    expect(placed.filter((p) => p.got === p.family).length / placed.length).toBeGreaterThanOrEqual(0.75);
  });

  it('severity: score table, one level up on critical/high assets, capped', () => {
    expect([0.99, 0.95, 0.9, 0.8, 0.6].map(scoreSeverity)).toEqual(['high', 'high', 'medium', 'medium', 'low']);
    expect(withAsset('high', 'critical')).toBe('critical');
    expect(withAsset('critical', 'high')).toBe('critical');
    expect(withAsset('low', 'high')).toBe('medium');
    expect(withAsset('medium', 'medium')).toBe('medium');
    expect(withAsset('medium', 'unknown')).toBe('medium');
    expect(withAsset('info', 'critical')).toBe('low');
  });
});
