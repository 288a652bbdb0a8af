/**
 * Signed compliance attestations: a JWT (RS256, via jose) stating that a given OpenSCAP results
 * file (by its SHA-256) scored `score` for host × benchmark × profile at scan_time.
 *
 * Claims: host, benchmark, profile, score, counts, scan_time (UTC ms, or null when the results
 * carry no time), results_sha256 (hex SHA-256 of the results file bytes), iat, exp, jti (the
 * attestation id, also the COMPLIANCE payload's attestation_id), plus iss/aud when configured.
 * Keys are always passed in by the caller; nothing here reads or stores keys.
 */
import { createHash, randomUUID } from 'node:crypto';
import { errors as joseErrors, importJWK, importPKCS8, importSPKI, importX509, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { ComplianceScanResult } from './score.js';

export const ATTESTATION_ALG = 'RS256';
/** JWT `typ` header of attestations. */
export const ATTESTATION_TYP = 'socflow-compliance-attestation+jwt';
/** Default lifetime: 90 days. */
export const DEFAULT_ATTESTATION_TTL_SECONDS = 90 * 24 * 3600;

/** Key accepted by jose for signing/verifying (CryptoKey, KeyObject, JWK, ...). */
export type SigningKey = Parameters<SignJWT['sign']>[0];
export type VerifyingKey = Parameters<typeof jwtVerify>[1] & SigningKey;

export interface AttestationClaims {
  host: string;
  benchmark: string;
  profile: string;
  score: number;
  counts: Record<string, number>;
  /** Scan end time, UTC ms; null when the results file has no time. */
  scan_time: number | null;
  results_sha256: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The attestation id. */
  jti: string;
  iss?: string;
  aud?: string | string[];
}

export interface IssueOptions {
  /** Lifetime in seconds (default 90 days). */
  ttlSeconds?: number;
  /** Issue time (default now). */
  now?: Date;
  /** Attestation id (default a random UUID). */
  jti?: string;
  issuer?: string;
  audience?: string;
  /** Key id for the JWT header, to pick the verification key later. */
  kid?: string;
}

export interface IssuedAttestation {
  jwt: string;
  /** = claims.jti */
  attestationId: string;
  claims: AttestationClaims;
}

export type AttestationErrorCode =
  | 'ERR_ATTESTATION_MALFORMED'
  | 'ERR_ATTESTATION_SIGNATURE'
  | 'ERR_ATTESTATION_EXPIRED'
  | 'ERR_ATTESTATION_CLAIMS'
  | 'ERR_ATTESTATION_DIGEST';

export class AttestationError extends Error {
  constructor(
    readonly code: AttestationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AttestationError';
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Sign an attestation for one scored scan of the given results file bytes. */
export async function issueAttestation(
  scan: ComplianceScanResult,
  fileBytes: Uint8Array,
  privateKey: SigningKey,
  opts: IssueOptions = {},
): Promise<IssuedAttestation> {
  const ttl = opts.ttlSeconds ?? DEFAULT_ATTESTATION_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new TypeError('issueAttestation: ttlSeconds must be a positive integer');
  if (!(scan.score >= 0 && scan.score <= 1)) throw new TypeError('issueAttestation: score must be in [0, 1]');
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const jti = opts.jti ?? randomUUID();
  const claims: AttestationClaims = {
    host: scan.host,
    benchmark: scan.benchmark,
    profile: scan.profile,
    score: scan.score,
    counts: { ...scan.counts },
    scan_time: scan.scanTime,
    results_sha256: sha256Hex(fileBytes),
    iat,
    exp: iat + ttl,
    jti,
  };
  if (opts.issuer) claims.iss = opts.issuer;
  if (opts.audience) claims.aud = opts.audience;
  const header: { alg: string; typ: string; kid?: string } = { alg: ATTESTATION_ALG, typ: ATTESTATION_TYP };
  if (opts.kid) header.kid = opts.kid;
  const jwt = await new SignJWT(claims as unknown as JWTPayload).setProtectedHeader(header).sign(privateKey);
  return { jwt, attestationId: jti, claims };
}

export interface VerifyOptions {
  /** Verification time (default now). */
  currentDate?: Date;
  /** Allowed clock skew for exp/iat, seconds (default 0). */
  clockToleranceSeconds?: number;
  issuer?: string;
  audience?: string;
}

function isCountMap(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((n) => Number.isInteger(n) && (n as number) >= 0);
}

/**
 * Verify an attestation: RS256 signature with the given public key, expiry (exp required), the
 * claim shapes, and — when the results file bytes are given — that their SHA-256 matches
 * results_sha256. Returns the claims; throws AttestationError with a specific code otherwise.
 */
export async function verifyAttestation(
  jwt: string,
  publicKey: VerifyingKey,
  fileBytes?: Uint8Array,
  opts: VerifyOptions = {},
): Promise<AttestationClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, publicKey, {
      algorithms: [ATTESTATION_ALG],
      typ: ATTESTATION_TYP,
      requiredClaims: ['exp', 'iat', 'jti'],
      currentDate: opts.currentDate,
      clockTolerance: opts.clockToleranceSeconds ?? 0,
      issuer: opts.issuer,
      audience: opts.audience,
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) {
      throw new AttestationError('ERR_ATTESTATION_EXPIRED', `attestation expired at ${new Date(Number(e.payload.exp) * 1000).toISOString()}`);
    }
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new AttestationError('ERR_ATTESTATION_SIGNATURE', 'attestation signature does not verify with this key');
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed) {
      throw new AttestationError('ERR_ATTESTATION_SIGNATURE', `attestation is not signed with ${ATTESTATION_ALG}`);
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      throw new AttestationError('ERR_ATTESTATION_CLAIMS', `attestation claim check failed: ${e.message}`);
    }
    if (e instanceof joseErrors.JOSEError) {
      throw new AttestationError('ERR_ATTESTATION_MALFORMED', `not a valid attestation JWT: ${e.message}`);
    }
    throw e;
  }
  const p = payload as Record<string, unknown>;
  const bad = (field: string): never => {
    throw new AttestationError('ERR_ATTESTATION_CLAIMS', `attestation claim ${field} is missing or invalid`);
  };
  for (const k of ['host', 'benchmark', 'profile', 'jti'] as const) if (typeof p[k] !== 'string' || p[k] === '') bad(k);
  if (typeof p.score !== 'number' || !(p.score >= 0 && p.score <= 1)) bad('score');
  if (!isCountMap(p.counts)) bad('counts');
  if (!(p.scan_time === null || Number.isSafeInteger(p.scan_time))) bad('scan_time');
  if (typeof p.results_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.results_sha256)) bad('results_sha256');
  if (fileBytes !== undefined) {
    const actual = sha256Hex(fileBytes);
    if (actual !== p.results_sha256) {
      throw new AttestationError(
        'ERR_ATTESTATION_DIGEST',
        `results file does not match the attestation: sha256 ${actual} != attested ${p.results_sha256 as string}`,
      );
    }
  }
  return p as unknown as AttestationClaims;
}

/**
 * Key loading for CLI wiring: a PEM (SPKI public key / PKCS#8 private key) or a JWK (JSON text).
 * The caller reads the key from wherever it is kept; nothing is cached or written.
 */
export async function importVerifyingKey(text: string): Promise<VerifyingKey> {
  const t = text.trim();
  if (t.startsWith('{')) return (await importJWK(JSON.parse(t) as JWK, ATTESTATION_ALG)) as VerifyingKey;
  if (t.includes('BEGIN PUBLIC KEY')) return (await importSPKI(t, ATTESTATION_ALG)) as VerifyingKey;
  if (t.includes('BEGIN CERTIFICATE')) return (await importX509(t, ATTESTATION_ALG)) as VerifyingKey;
  throw new TypeError('importVerifyingKey: expected a PEM public key (SPKI), an X.509 certificate or a JWK');
}

export async function importSigningKey(text: string): Promise<SigningKey> {
  const t = text.trim();
  if (t.startsWith('{')) return (await importJWK(JSON.parse(t) as JWK, ATTESTATION_ALG)) as SigningKey;
  if (t.includes('BEGIN PRIVATE KEY')) return (await importPKCS8(t, ATTESTATION_ALG)) as SigningKey;
  throw new TypeError('importSigningKey: expected a PKCS#8 PEM private key or a JWK');
}
