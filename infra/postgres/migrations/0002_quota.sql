-- Quota state (AI SOC design): the actions applied to agents (rbp.quota_updates) and the high-impact
-- proposals for the review board (rbp.proposals) with their decisions (rbp.approvals). Written by the
-- quota-store sink; ids are deterministic, so a redelivered record is a no-op.
CREATE TABLE quota_updates (
  update_id            text PRIMARY KEY,
  agent_id             text NOT NULL,
  action               text NOT NULL CHECK (action IN ('throttle', 'suspend', 'restore')),
  reason               text NOT NULL,
  self_suggest_enabled boolean NOT NULL,
  policy_id            text NOT NULL,
  proposal_id          text,
  approved_by          text,
  alert_ids            text[] NOT NULL DEFAULT '{}',
  created_at           timestamptz NOT NULL,
  stored_at            timestamptz NOT NULL DEFAULT now()
);
-- An agent's current quota: its latest update.
CREATE INDEX quota_updates_agent_idx ON quota_updates (agent_id, created_at DESC);
CREATE INDEX quota_updates_proposal_idx ON quota_updates (proposal_id) WHERE proposal_id IS NOT NULL;

-- A decision can reach the store before its proposal (different topics): it then creates the row with
-- what the approval carries, and reason / created_at stay NULL until the proposal record fills them in.
CREATE TABLE proposals (
  proposal_id          text PRIMARY KEY,
  agent_id             text NOT NULL,
  action               text NOT NULL CHECK (action IN ('throttle', 'suspend', 'restore')),
  reason               text,
  self_suggest_enabled boolean NOT NULL,
  policy_id            text NOT NULL,
  alert_ids            text[] NOT NULL DEFAULT '{}',
  created_at           timestamptz,
  status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  decided_by           text,
  decided_at           timestamptz,
  comment              text,
  stored_at            timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'pending') = (decided_by IS NULL AND decided_at IS NULL))
);
CREATE INDEX proposals_pending_idx ON proposals (created_at DESC) WHERE status = 'pending';
CREATE INDEX proposals_agent_idx ON proposals (agent_id, created_at DESC);
