import type pg from 'pg';
import type { IssuedAttestation } from './attestation.js';

/** Keeps an issued attestation; the id is the JWT's jti, so storing the same one twice changes nothing. */
export async function storeAttestation(pool: pg.Pool, issued: IssuedAttestation): Promise<void> {
  const c = issued.claims;
  await pool.query(
    `INSERT INTO attestations (attestation_id, host, benchmark, profile, score, counts, results_sha256, scan_time, issued_at, expires_at, token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9), to_timestamp($10), $11)
     ON CONFLICT (attestation_id) DO NOTHING`,
    [issued.attestationId, c.host, c.benchmark, c.profile, c.score, JSON.stringify(c.counts), c.results_sha256, c.scan_time === null ? null : new Date(c.scan_time), c.iat, c.exp, issued.jwt],
  );
}
