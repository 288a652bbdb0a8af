import { createRemoteJWKSet, errors as joseErrors, importSPKI, type CryptoKey, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import { ConfigError, setting } from '../lib/config.js';
import { signingKeyPair, verifyingKey } from '../lib/keys.js';

/** Roles, lowest first: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_ISSUER = 'socflow';
export const TOKEN_AUDIENCE = 'socflow-api';
export const KEY_PURPOSE = 'api-jwt';
/** The longest lifetime `socflow token` issues. */
export const MAX_TOKEN_TTL_S = 30 * 24 * 3600;

export interface Principal {
  sub: string;
  /** As the token says; may be a value outside ROLES (then it ranks below viewer). */
  role: string;
}

/** Why a request could not be authenticated: 401 for a bad token, 503 when the key source is unreachable. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly statusCode: 401 | 503 = 401,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export type TokenVerifier = (token: string) => Promise<Principal>;

export const roleRank = (role: string): number => ROLES.indexOf(role as Role);
export const isRole = (role: unknown): role is Role => typeof role === 'string' && roleRank(role) >= 0;

const SUB = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;

/**
 * Verifies RS256 bearer tokens: signature against the key (or JWKS), iss=socflow, aud=socflow-api,
 * exp required, and a printable `sub` of at most 200 characters (it becomes the actor of audit rows).
 */
export function tokenVerifier(key: CryptoKey | JWTVerifyGetKey, opts: { clockToleranceS?: number } = {}): TokenVerifier {
  return async (token) => {
    try {
      const verify = typeof key === 'function' ? jwtVerify(token, key, options(opts)) : jwtVerify(token, key, options(opts));
      const { payload } = await verify;
      if (typeof payload.sub !== 'string' || !SUB.test(payload.sub)) throw new AuthError('token has no usable sub claim');
      if (typeof payload.role !== 'string') throw new AuthError('token has no role claim');
      return { sub: payload.sub, role: payload.role };
    } catch (err) {
      throw toAuthError(err);
    }
  };
}

const options = (opts: { clockToleranceS?: number }) => ({
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  algorithms: ['RS256'],
  requiredClaims: ['exp', 'sub'],
  clockTolerance: opts.clockToleranceS ?? 5,
});

function toAuthError(err: unknown): AuthError {
  if (err instanceof AuthError) return err;
  if (err instanceof joseErrors.JWTExpired) return new AuthError('token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) return new AuthError(`token claim ${err.claim} is invalid (${err.reason})`);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new AuthError('token signature does not verify');
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new AuthError('no key of the key set matches the token');
  if (err instanceof joseErrors.JWKSTimeout) return new AuthError('the key set (JWKS) did not answer in time', 503);
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new AuthError('token algorithm is not RS256');
  if (err instanceof joseErrors.JOSEError) return new AuthError('malformed token');
  // Not a token problem: the JWKS endpoint is unreachable or answered nonsense.
  return new AuthError('the key set (JWKS) is unavailable', 503);
}

/**
 * The verifier the configuration asks for: SOCFLOW_API_JWT_PUBLIC_KEY (PEM), else SOCFLOW_API_JWKS_URL,
 * else — in development only — the dev key pair (generated on first use under the keys dir). With
 * SOCFLOW_ENV=production one of the first two is required.
 */
export async function configuredVerifier(): Promise<{ verify: TokenVerifier; origin: string }> {
  const pem = setting('SOCFLOW_API_JWT_PUBLIC_KEY');
  if (pem) return { verify: tokenVerifier(await importSPKI(pem, 'RS256')), origin: 'SOCFLOW_API_JWT_PUBLIC_KEY' };
  const jwks = setting('SOCFLOW_API_JWKS_URL');
  if (jwks) {
    let url: URL;
    try {
      url = new URL(jwks);
    } catch {
      throw new ConfigError(`SOCFLOW_API_JWKS_URL is not a URL: "${jwks}"`);
    }
    return { verify: tokenVerifier(createRemoteJWKSet(url, { timeoutDuration: 3000, cooldownDuration: 30_000 })), origin: `JWKS ${url.origin}${url.pathname}` };
  }
  if (setting('SOCFLOW_ENV') === 'production') {
    throw new ConfigError('SOCFLOW_ENV=production needs SOCFLOW_API_JWT_PUBLIC_KEY or SOCFLOW_API_JWKS_URL (the dev key is for development only)');
  }
  return { verify: tokenVerifier(await verifyingKey(KEY_PURPOSE)), origin: 'development key (socflow token)' };
}

/** `1h`, `30m`, `45s`, `7d` → seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,7})(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`duration must look like 30s, 15m, 1h or 7d, got "${text}"`);
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (seconds <= 0) throw new Error(`duration must be positive, got "${text}"`);
  return seconds;
}

export interface TokenRequest {
  role: Role;
  sub: string;
  ttlSeconds: number;
  /** Seconds since the epoch; default now. */
  now?: number;
}

/** Signs a token with the given key (tests) — the CLI uses the configured signing key pair. */
export async function signToken(privateKey: CryptoKey, req: TokenRequest): Promise<string> {
  if (!isRole(req.role)) throw new Error(`role must be one of ${ROLES.join(', ')}, got "${String(req.role)}"`);
  if (!SUB.test(req.sub)) throw new Error('sub must be 1-200 printable ASCII characters');
  if (!Number.isInteger(req.ttlSeconds) || req.ttlSeconds <= 0 || req.ttlSeconds > MAX_TOKEN_TTL_S) {
    throw new Error(`ttl must be between 1 s and ${MAX_TOKEN_TTL_S / 86400} days`);
  }
  const now = req.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ role: req.role })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(req.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + req.ttlSeconds)
    .sign(privateKey);
}

/** A token signed with the api-jwt key pair (the dev key unless SOCFLOW_API_JWT_PRIVATE_KEY is set). */
export async function issueToken(req: TokenRequest): Promise<{ token: string; origin: string }> {
  const pair = await signingKeyPair(KEY_PURPOSE);
  return { token: await signToken(pair.privateKey, req), origin: pair.origin };
}
