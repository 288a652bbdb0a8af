import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair } from 'jose';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, configuredVerifier, issueToken, parseDuration, signToken, tokenVerifier } from './auth.js';
import { createApiServer } from './server.js';

const ENV = ['SOCFLOW_API_JWT_PUBLIC_KEY', 'SOCFLOW_API_JWT_PRIVATE_KEY', 'SOCFLOW_API_JWKS_URL', 'SOCFLOW_ENV', 'SOCFLOW_KEYS_DIR'] as const;

describe('api auth', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  let keysDir: string;
  beforeAll(() => {
    keysDir = mkdtempSync(join(tmpdir(), 'socflow-keys-'));
  });
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  afterAll(() => rmSync(keysDir, { recursive: true, force: true }));

  it('parses token lifetimes', () => {
    expect(parseDuration('30m')).toBe(1800);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('7d')).toBe(604_800);
    expect(parseDuration('45s')).toBe(45);
    for (const bad of ['', '1', 'h', '1w', '-1h', '0m', '1.5h', '1h30m']) expect(() => parseDuration(bad), bad).toThrow();
  });

  it('refuses to sign tokens with an unknown role, a bad subject or a lifetime over 30 days', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expect(signToken(privateKey, { role: 'root' as never, sub: 'a', ttlSeconds: 60 })).rejects.toThrow(/role/);
    await expect(signToken(privateKey, { role: 'admin', sub: '', ttlSeconds: 60 })).rejects.toThrow(/sub/);
    await expect(signToken(privateKey, { role: 'admin', sub: 'a\nb', ttlSeconds: 60 })).rejects.toThrow(/sub/);
    await expect(signToken(privateKey, { role: 'admin', sub: 'a', ttlSeconds: 31 * 86400 })).rejects.toThrow(/ttl/);
  });

  it('development: tokens from the dev key (generated on first use, owner-only) verify; production refuses without a configured key', async () => {
    process.env.SOCFLOW_KEYS_DIR = keysDir;
    delete process.env.SOCFLOW_API_JWT_PUBLIC_KEY;
    delete process.env.SOCFLOW_API_JWT_PRIVATE_KEY;
    delete process.env.SOCFLOW_API_JWKS_URL;
    delete process.env.SOCFLOW_ENV;
    const { token, origin } = await issueToken({ role: 'operator', sub: 'dev-user', ttlSeconds: 60 });
    expect(origin).toBe(join(keysDir, 'api-jwt.private.pem'));
    expect(statSync(origin).mode & 0o077).toBe(0);
    const { verify } = await configuredVerifier();
    expect(await verify(token)).toEqual({ sub: 'dev-user', role: 'operator' });
    process.env.SOCFLOW_ENV = 'production';
    await expect(configuredVerifier()).rejects.toThrow(/SOCFLOW_API_JWT_PUBLIC_KEY or SOCFLOW_API_JWKS_URL/);
  });

  it('SOCFLOW_API_JWT_PUBLIC_KEY: only tokens of that key verify', async () => {
    const prod = await generateKeyPair('RS256', { extractable: true });
    const dev = await generateKeyPair('RS256');
    process.env.SOCFLOW_API_JWT_PUBLIC_KEY = await exportSPKI(prod.publicKey);
    process.env.SOCFLOW_ENV = 'production';
    const { verify, origin } = await configuredVerifier();
    expect(origin).toBe('SOCFLOW_API_JWT_PUBLIC_KEY');
    expect(await verify(await signToken(prod.privateKey, { role: 'admin', sub: 'ci', ttlSeconds: 60 }))).toEqual({ sub: 'ci', role: 'admin' });
    await expect(verify(await signToken(dev.privateKey, { role: 'admin', sub: 'ci', ttlSeconds: 60 }))).rejects.toMatchObject({ statusCode: 401, message: 'token signature does not verify' });
  });

  describe('SOCFLOW_API_JWKS_URL', () => {
    let server: Server;
    let url: string;
    let key: CryptoKeyPair;
    beforeAll(async () => {
      key = await generateKeyPair('RS256', { extractable: true });
      const jwk = { ...(await exportJWK(key.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
      server = createServer((req, res) => {
        if (req.url === '/.well-known/jwks.json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('verifies tokens against the key set; a token of another key is 401', async () => {
      process.env.SOCFLOW_API_JWKS_URL = url;
      delete process.env.SOCFLOW_API_JWT_PUBLIC_KEY;
      const { verify, origin } = await configuredVerifier();
      expect(origin).toMatch(/^JWKS http:\/\/127\.0\.0\.1/);
      const { SignJWT } = await import('jose');
      const good = await new SignJWT({ role: 'viewer' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('socflow').setAudience('socflow-api').setSubject('idp-user').setExpirationTime('5m').sign(key.privateKey);
      expect(await verify(good)).toEqual({ sub: 'idp-user', role: 'viewer' });
      const other = await generateKeyPair('RS256');
      const bad = await new SignJWT({ role: 'viewer' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('socflow').setAudience('socflow-api').setSubject('x').setExpirationTime('5m').sign(other.privateKey);
      await expect(verify(bad)).rejects.toMatchObject({ statusCode: 401 });
    });

    it('an unreachable key set is 503 auth_unavailable, not 401', async () => {
      const verify = tokenVerifier((await import('jose')).createRemoteJWKSet(new URL('http://127.0.0.1:1/jwks.json'), { timeoutDuration: 500 }));
      const token = await signToken(key.privateKey, { role: 'viewer', sub: 'x', ttlSeconds: 60 });
      const err = await verify(token).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).statusCode).toBe(503);
      // Through the server: the route answers 503 before its handler (the pool is never used).
      const pool = new pg.Pool({ connectionString: 'postgres://unused@127.0.0.1:1/unused' });
      const noop = { topic: 't', publish: async () => {}, close: async () => {} };
      const app = await createApiServer({ pool, telemetry: { publish: async () => {}, validate: () => [] }, approvals: noop, blueResponses: noop, health: [], verifyToken: verify });
      try {
        const res = await app.inject({ method: 'GET', url: '/alerts', headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ error: 'auth_unavailable' });
      } finally {
        await app.close();
        await pool.end();
      }
    });
  });
});
