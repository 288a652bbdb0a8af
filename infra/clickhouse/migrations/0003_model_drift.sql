-- Model drift (MLOps design): PSI per feature per scoring window, from rbp.model_drift.
CREATE TABLE IF NOT EXISTS model_drift
(
    report_id     String,
    model_version LowCardinality(String),
    window_start  DateTime64(3, 'UTC'),
    window_end    DateTime64(3, 'UTC'),
    rows          UInt64,
    max_feature   LowCardinality(String),
    max_psi       Float64,
    psi           Map(String, Float64)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(window_end)
ORDER BY (model_version, window_end, report_id)
TTL toDateTime(window_end) + INTERVAL {ttl_days} DAY;
