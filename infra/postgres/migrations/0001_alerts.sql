-- Alert state (AI SOC design): one row per alert id, status lifecycle with an audit row per change.
CREATE TABLE alerts (
  alert_id            text PRIMARY KEY,
  agent_id            text NOT NULL,
  host                text NOT NULL,
  severity            text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
  category            text NOT NULL,
  title               text NOT NULL,
  description         text NOT NULL,
  remediation         text NOT NULL,
  detector            text NOT NULL,
  score               double precision,
  model_version       text,
  status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved', 'false_positive')),
  evidence_event_ids  text[] NOT NULL,
  first_evidence_time timestamptz NOT NULL,
  event_time          timestamptz NOT NULL,
  metadata            jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alerts_severity_idx ON alerts (severity);
CREATE INDEX alerts_status_idx ON alerts (status);
CREATE INDEX alerts_created_at_idx ON alerts (created_at DESC, alert_id DESC);
CREATE INDEX alerts_agent_idx ON alerts (agent_id, created_at DESC);

CREATE TABLE alert_audit (
  id          bigserial PRIMARY KEY,
  alert_id    text NOT NULL REFERENCES alerts (alert_id),
  from_status text,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  note        text
);
CREATE INDEX alert_audit_alert_idx ON alert_audit (alert_id, at);

-- Asset inventory used by normalize for enrichment.
CREATE TABLE assets (
  asset_id    text PRIMARY KEY,
  criticality text NOT NULL CHECK (criticality IN ('critical', 'high', 'medium', 'low')),
  owner       text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
