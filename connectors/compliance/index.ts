/**
 * Compliance: OpenSCAP XCCDF/ARF results → per host × benchmark × profile scores, COMPLIANCE events
 * and signed (RS256 JWT) attestations. See README.md.
 */
export {
  readXccdf,
  RESULT_KINDS,
  DEFAULT_PROFILE,
  type ResultKind,
  type XccdfDocument,
  type XccdfRule,
  type XccdfRuleResult,
  type XccdfSeverity,
  type XccdfTestResult,
} from './xccdf.js';
export {
  complianceEvent,
  FAILED_KINDS,
  PASSED_KINDS,
  scoreTestResult,
  scoreXccdf,
  SEVERITY_WEIGHTS,
  withAttestationId,
  type ComplianceEventOptions,
  type ComplianceScanResult,
} from './score.js';
export {
  ATTESTATION_ALG,
  ATTESTATION_TYP,
  AttestationError,
  DEFAULT_ATTESTATION_TTL_SECONDS,
  importSigningKey,
  importVerifyingKey,
  issueAttestation,
  sha256Hex,
  verifyAttestation,
  type AttestationClaims,
  type AttestationErrorCode,
  type IssuedAttestation,
  type IssueOptions,
  type SigningKey,
  type VerifyingKey,
  type VerifyOptions,
} from './attestation.js';
