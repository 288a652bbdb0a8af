import { exportPKCS8, exportSPKI, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, fixtureBytes } from '../import/testutil.js';
import {
  AttestationError,
  complianceEvent,
  importSigningKey,
  importVerifyingKey,
  issueAttestation,
  readXccdf,
  scoreXccdf,
  SEVERITY_WEIGHTS,
  verifyAttestation,
  withAttestationId,
  type ComplianceScanResult,
  type SigningKey,
  type VerifyingKey,
} from './index.js';

const ZERO = { pass: 0, fail: 0, error: 0, unknown: 0, notapplicable: 0, notchecked: 0, notselected: 0, informational: 0, fixed: 0 };

describe('compliance score', () => {
  it('documented weights', () => {
    expect(SEVERITY_WEIGHTS).toEqual({ high: 3, medium: 2, low: 1, info: 1, unknown: 1 });
  });

  it('XCCDF 1.1 sample: 7 pass (5 medium, 1 low, 1 high) and 1 low fail → 14/15', () => {
    // passed: medium ×5 (0015, 0016, 0045, 0052, 0129) = 10, low (0044) = 1, high (0101) = 3 → 14
    // failed: low (0117) = 1
    const [scan] = scoreXccdf(fixture('openscap/one_vuln_rhsa.xml'));
    expect(scan).toEqual({
      host: 'sample.system',
      benchmark: 'generated-xccdf',
      profile: '(default)',
      testResultId: 'xccdf_org.open-scap_testresult_default-profile',
      score: 14 / 15,
      counts: { ...ZERO, pass: 7, fail: 1 },
      passedWeight: 14,
      failedWeight: 1,
      scanTime: Date.UTC(2019, 2, 4, 7, 43, 39),
    });
  });

  it('ARF, two hosts: excluded kinds do not count, fixed counts as passed, unknown severity weighs 1', () => {
    const scans = scoreXccdf(fixture('openscap/arf_two_hosts.xml'));
    expect(scans).toHaveLength(2);
    // web01: passed r1 high 3 + r3 medium 2 + r6 low 1 + r11 (fixed) medium 2 = 8
    //        failed r2 high 3 + r4 medium 2 + r8 (no severity → unknown) 1 = 6
    //        excluded: notapplicable, notchecked, notselected, informational, error, unknown
    expect(scans[0]).toMatchObject({
      host: 'web01.example.org',
      benchmark: 'xccdf_org.socflow.content_benchmark_TEST',
      profile: 'xccdf_org.socflow.content_profile_test',
      passedWeight: 8,
      failedWeight: 6,
      score: 8 / 14,
      counts: { pass: 3, fail: 3, error: 1, unknown: 1, notapplicable: 1, notchecked: 1, notselected: 1, informational: 1, fixed: 1 },
      scanTime: Date.UTC(2024, 4, 2, 8, 5, 30),
    });
    // db01: passed r1 high 3 + r2 high 3 = 6, failed r4 medium 2 → 6/8
    expect(scans[1]).toMatchObject({ host: 'db01.example.org', profile: 'xccdf_org.socflow.content_profile_minimal', score: 0.75, counts: { ...ZERO, pass: 2, fail: 1 } });
  });

  it('no pass/fail results → score 0 (nothing demonstrated)', () => {
    const xml =
      '<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.1" id="b"><Rule id="r" severity="high"/>' +
      '<TestResult id="t" end-time="2024-01-01T00:00:00Z"><target>h</target><rule-result idref="r"><result>notapplicable</result></rule-result></TestResult></Benchmark>';
    expect(scoreXccdf(xml)[0]).toMatchObject({ score: 0, counts: { ...ZERO, notapplicable: 1 } });
  });

  it('COMPLIANCE event: deterministic id, payload per the Avro ComplianceScore, attestation id attachable', () => {
    const [scan] = scoreXccdf(fixture('openscap/one_vuln_rhsa.xml'));
    const e = complianceEvent(scan, { fallbackTime: 1 });
    expect(complianceEvent(scan, { fallbackTime: 2 }).event_id).toBe(e.event_id);
    expect(e).toMatchObject({
      agent_id: 'sample.system',
      host: 'sample.system',
      source: 'scanner:openscap',
      type: 'COMPLIANCE',
      event_time: scan.scanTime,
      payload: { benchmark: 'generated-xccdf', profile: '(default)', score: 14 / 15, attestation_id: null },
    });
    expect(withAttestationId(e, 'abc').payload.attestation_id).toBe('abc');
    expect(e.payload.attestation_id).toBeNull();
    // a later scan of the same host/profile is a different event
    expect(complianceEvent({ ...scan, scanTime: scan.scanTime! + 86_400_000 }, { fallbackTime: 1 }).event_id).not.toBe(e.event_id);
  });

  it('readXccdf exposes rule metadata for callers', () => {
    const doc = readXccdf(fixture('openscap/arf_two_hosts.xml'));
    expect(doc.kind).toBe('arf');
    expect(doc.rules.size).toBe(13);
    expect(doc.testResults[0].targetAddresses).toEqual(['127.0.0.1', '10.0.0.11']);
    expect(doc.testResults[0].ruleResults[1].check).toBe('oval:org.socflow:def:2');
  });
});

describe('attestation', () => {
  let privateKey: SigningKey;
  let publicKey: VerifyingKey;
  let otherPublic: VerifyingKey;
  let scan: ComplianceScanResult;
  let bytes: Buffer;
  const NOW = new Date(Date.UTC(2024, 5, 1, 12, 0, 0));

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicKey = pair.publicKey;
    otherPublic = (await generateKeyPair('RS256')).publicKey;
    bytes = fixtureBytes('openscap/one_vuln_rhsa.xml');
    [scan] = scoreXccdf(bytes.toString('utf8'));
  });

  it('sign → verify round trip returns the claims', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW, jti: 'att-1', ttlSeconds: 3600, kid: 'k1' });
    expect(a.attestationId).toBe('att-1');
    const claims = await verifyAttestation(a.jwt, publicKey, bytes, { currentDate: new Date(NOW.getTime() + 60_000) });
    expect(claims).toEqual({
      host: 'sample.system',
      benchmark: 'generated-xccdf',
      profile: '(default)',
      score: 14 / 15,
      counts: { ...ZERO, pass: 7, fail: 1 },
      scan_time: Date.UTC(2019, 2, 4, 7, 43, 39),
      results_sha256: (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'),
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 3600,
      jti: 'att-1',
    });
    // without the file, the digest is not checked but everything else is
    await expect(verifyAttestation(a.jwt, publicKey, undefined, { currentDate: NOW })).resolves.toMatchObject({ jti: 'att-1' });
  });

  it('random jti by default, usable as the COMPLIANCE attestation_id', async () => {
    const a = await issueAttestation(scan, bytes, privateKey);
    const b = await issueAttestation(scan, bytes, privateKey);
    expect(a.attestationId).not.toBe(b.attestationId);
    expect(decodeJwt(a.jwt).jti).toBe(a.attestationId);
    await expect(verifyAttestation(a.jwt, publicKey, bytes)).resolves.toBeTruthy();
  });

  it('rejects a tampered results file (digest mismatch)', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW });
    const tampered = Buffer.from(bytes.toString('utf8').replace('<result>fail</result>', '<result>pass</result>'));
    const err = await verifyAttestation(a.jwt, publicKey, tampered, { currentDate: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttestationError);
    expect((err as AttestationError).code).toBe('ERR_ATTESTATION_DIGEST');
    expect((err as AttestationError).message).toMatch(/results file does not match the attestation/);
  });

  it('rejects an expired token', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW, ttlSeconds: 60 });
    const err = await verifyAttestation(a.jwt, publicKey, bytes, { currentDate: new Date(NOW.getTime() + 61_000) }).catch((e: unknown) => e);
    expect((err as AttestationError).code).toBe('ERR_ATTESTATION_EXPIRED');
    expect((err as Error).message).toBe('attestation expired at 2024-06-01T12:01:00.000Z');
  });

  it('rejects a token verified with the wrong key', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW });
    const err = await verifyAttestation(a.jwt, otherPublic, bytes, { currentDate: NOW }).catch((e: unknown) => e);
    expect((err as AttestationError).code).toBe('ERR_ATTESTATION_SIGNATURE');
  });

  it('rejects a token whose claims were edited (signature no longer matches)', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW });
    const [h, p, s] = a.jwt.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    claims.score = 1;
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    const err = await verifyAttestation(forged, publicKey, bytes, { currentDate: NOW }).catch((e: unknown) => e);
    expect((err as AttestationError).code).toBe('ERR_ATTESTATION_SIGNATURE');
  });

  it('rejects other algorithms, a missing exp, garbage, and tokens of another type', async () => {
    const hs = await new SignJWT({ host: 'h' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new Uint8Array(32));
    expect(((await verifyAttestation(hs, publicKey).catch((e: unknown) => e)) as AttestationError).code).toBe('ERR_ATTESTATION_SIGNATURE');
    const noExp = await new SignJWT({ host: 'h' }).setProtectedHeader({ alg: 'RS256', typ: 'socflow-compliance-attestation+jwt' }).setIssuedAt().setJti('x').sign(privateKey);
    expect(((await verifyAttestation(noExp, publicKey).catch((e: unknown) => e)) as AttestationError).code).toBe('ERR_ATTESTATION_CLAIMS');
    expect(((await verifyAttestation('not.a.jwt', publicKey).catch((e: unknown) => e)) as AttestationError).code).toBe('ERR_ATTESTATION_MALFORMED');
    const otherTyp = await new SignJWT({ host: 'h' }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuedAt().setJti('x').setExpirationTime('1h').sign(privateKey);
    expect(((await verifyAttestation(otherTyp, publicKey).catch((e: unknown) => e)) as AttestationError).code).toBe('ERR_ATTESTATION_CLAIMS');
    const badClaims = await new SignJWT({ host: 'h', score: 7 })
      .setProtectedHeader({ alg: 'RS256', typ: 'socflow-compliance-attestation+jwt' })
      .setIssuedAt()
      .setJti('x')
      .setExpirationTime('1h')
      .sign(privateKey);
    const e = (await verifyAttestation(badClaims, publicKey).catch((x: unknown) => x)) as AttestationError;
    expect(e.code).toBe('ERR_ATTESTATION_CLAIMS');
  });

  it('issuer/audience are set and enforced when configured', async () => {
    const a = await issueAttestation(scan, bytes, privateKey, { now: NOW, issuer: 'socflow', audience: 'auditors' });
    await expect(verifyAttestation(a.jwt, publicKey, bytes, { currentDate: NOW, issuer: 'socflow', audience: 'auditors' })).resolves.toMatchObject({ iss: 'socflow', aud: 'auditors' });
    const err = (await verifyAttestation(a.jwt, publicKey, bytes, { currentDate: NOW, issuer: 'someone-else' }).catch((x: unknown) => x)) as AttestationError;
    expect(err.code).toBe('ERR_ATTESTATION_CLAIMS');
  });

  it('PEM and JWK keys import for CLI wiring', async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const priv = await importSigningKey(await exportPKCS8(pair.privateKey));
    const pub = await importVerifyingKey(await exportSPKI(pair.publicKey));
    const a = await issueAttestation(scan, bytes, priv, { now: NOW });
    await expect(verifyAttestation(a.jwt, pub, bytes, { currentDate: NOW })).resolves.toMatchObject({ host: 'sample.system' });
    await expect(importVerifyingKey('hello')).rejects.toThrow(TypeError);
  });
});
