-- Signed compliance attestations (compliance-scanner design): one row per issued JWT.
CREATE TABLE attestations (
  attestation_id text PRIMARY KEY,
  host           text NOT NULL,
  benchmark      text NOT NULL,
  profile        text NOT NULL,
  score          double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  counts         jsonb NOT NULL,
  results_sha256 text NOT NULL,
  scan_time      timestamptz,
  issued_at      timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  token          text NOT NULL
);
CREATE INDEX attestations_host_idx ON attestations (host, issued_at DESC);
