-- Base tables, one per sink. Every statement is idempotent (IF NOT EXISTS): the runner may repeat a
-- migration that failed half-way, and several sinks may migrate at the same time at start-up.
--
-- Idempotence on redelivery: ReplacingMergeTree whose sorting key ends with the record id, and whose
-- other key columns are fixed by the id (the same id always has the same severity, event_time, ...),
-- so a redelivered row collapses with the first one. Duplicates live until a merge: read with FINAL
-- (the views do) or count uniqExact(id).
-- {ttl_days} is substituted by the runner from CLICKHOUSE_TTL_DAYS (validated integer, default 90).

CREATE TABLE IF NOT EXISTS telemetry_events
(
    event_id           String,
    agent_id           String,
    host               String,
    source             LowCardinality(String),
    type               LowCardinality(String) COMMENT 'METRIC, AUTH, CONNECTION, FINDING or COMPLIANCE: which typed columns are set',
    event_time         DateTime64(3, 'UTC'),
    ingest_time        Nullable(DateTime64(3, 'UTC')) COMMENT 'when normalize accepted it',
    asset_criticality  LowCardinality(String),
    asset_owner        String,
    -- METRIC
    metrics            Map(String, Float64),
    -- AUTH
    auth_user          String,
    auth_source_ip     String,
    auth_method        LowCardinality(String),
    auth_outcome       LowCardinality(String),
    -- CONNECTION
    conn_src_ip        String,
    conn_src_port      UInt16,
    conn_dst_ip        String,
    conn_dst_port      UInt16,
    conn_protocol      LowCardinality(String),
    conn_service       LowCardinality(String),
    conn_flag          LowCardinality(String),
    conn_duration      Float64,
    conn_src_bytes     Float64,
    conn_dst_bytes     Float64,
    -- FINDING
    finding_scanner    LowCardinality(String),
    finding_rule_id    String,
    finding_title      String,
    finding_severity   LowCardinality(String),
    finding_cve        Array(String),
    finding_package    String,
    -- COMPLIANCE
    compliance_benchmark String,
    compliance_profile   String,
    compliance_score     Nullable(Float64),
    metadata           Map(String, String),
    payload            String COMMENT 'the whole payload as JSON'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (agent_id, type, event_time, event_id)
TTL toDateTime(event_time) + INTERVAL {ttl_days} DAY;

CREATE TABLE IF NOT EXISTS alerts
(
    alert_id             String,
    agent_id             String,
    host                 String,
    severity             LowCardinality(String),
    category             LowCardinality(String),
    title                String,
    description          String,
    remediation          String,
    detector             LowCardinality(String),
    score                Nullable(Float64),
    model_version        LowCardinality(Nullable(String)),
    techniques           Array(String),
    evidence_event_ids   Array(String),
    first_evidence_time  DateTime64(3, 'UTC'),
    event_time           DateTime64(3, 'UTC'),
    detected_at          DateTime64(3, 'UTC'),
    asset_criticality    LowCardinality(String),
    metadata             Map(String, String),
    detection_latency_ms Int64 COMMENT 'event_time - first_evidence_time: how long the evidence took to build up',
    time_to_detect_ms    Int64 COMMENT 'detected_at - first_evidence_time: first evidence to the alert being emitted'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(event_time)
ORDER BY (severity, category, event_time, alert_id)
TTL toDateTime(event_time) + INTERVAL {ttl_days} DAY;

CREATE TABLE IF NOT EXISTS quota_updates
(
    update_id            String,
    agent_id             String,
    action               LowCardinality(String),
    reason               String,
    self_suggest_enabled Bool,
    policy_id            LowCardinality(String),
    proposal_id          Nullable(String),
    approved_by          Nullable(String),
    alert_ids            Array(String),
    created_at           DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(created_at)
ORDER BY (agent_id, created_at, update_id)
TTL toDateTime(created_at) + INTERVAL {ttl_days} DAY;

-- One row per dead letter; the raw key/value bytes stay in Kafka (value_size says how big it was).
-- dlq_id = stage/topic/partition/offset of the rejected record: the same record rejected by the same
-- stage is the same dead letter.
CREATE TABLE IF NOT EXISTS dead_letters
(
    dlq_id       String,
    dlq_topic    LowCardinality(String) COMMENT 'the *.dlq topic it was read from',
    stage        LowCardinality(String),
    reason       LowCardinality(String),
    error        String,
    topic        LowCardinality(String) COMMENT 'topic of the rejected record',
    partition    Int32,
    offset       Int64,
    record_time  DateTime64(3, 'UTC') COMMENT 'Kafka timestamp of the rejected record',
    value_size   UInt32,
    failed_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(failed_at)
ORDER BY (stage, reason, failed_at, dlq_id)
TTL toDateTime(failed_at) + INTERVAL {ttl_days} DAY;

-- purple-gaps: one result per scenario run; a re-decided result (same result_id) replaces the older one.
CREATE TABLE IF NOT EXISTS purple_gaps
(
    result_id            String,
    exercise_id          String,
    scenario_id          String,
    techniques           Array(String),
    agent_id             String,
    detected             Bool,
    time_to_detect_ms    Nullable(Int64),
    time_to_respond_ms   Nullable(Int64),
    matching_alert_ids   Array(String),
    unmatched_alert_ids  Array(String),
    gap                  LowCardinality(Nullable(String)) COMMENT 'missed, late, no_response, or NULL',
    start_time           DateTime64(3, 'UTC'),
    decided_at           DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(decided_at)
PARTITION BY toYYYYMMDD(start_time)
ORDER BY (exercise_id, scenario_id, result_id)
TTL toDateTime(start_time) + INTERVAL {ttl_days} DAY;
