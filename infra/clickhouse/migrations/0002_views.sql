-- Analytics views. Redelivery puts the same row into a base table twice (until a merge), and a
-- materialized view sees every inserted block, so nothing here sums raw rows:
--  * counts come from AggregatingMergeTree tables fed by materialized views with uniqExactState(id):
--    a redelivered id is already in the set, so the count does not change (and any grouping of the
--    buckets merges the sets exactly, e.g. all hours of a day);
--  * averages and quantiles (detection latency) are plain views over the base table with FINAL.
-- Each materialized view is followed by a backfill of its target from the base table, so rows
-- written before this migration are counted too; uniqExact makes the overlap with the view harmless.

-- Alerts per hour by severity and category.
CREATE TABLE IF NOT EXISTS alerts_hourly_agg
(
    hour      DateTime('UTC'),
    severity  LowCardinality(String),
    category  LowCardinality(String),
    alerts    AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(hour)
ORDER BY (hour, severity, category)
TTL hour + INTERVAL {ttl_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS alerts_hourly_mv TO alerts_hourly_agg AS
SELECT toStartOfHour(event_time) AS hour, severity, category, uniqExactState(alert_id) AS alerts
FROM alerts
GROUP BY hour, severity, category;

INSERT INTO alerts_hourly_agg
SELECT toStartOfHour(event_time) AS hour, severity, category, uniqExactState(alert_id) AS alerts
FROM alerts
GROUP BY hour, severity, category;

CREATE VIEW IF NOT EXISTS alerts_per_hour AS
SELECT hour, severity, category, uniqExactMerge(alerts) AS alerts
FROM alerts_hourly_agg
GROUP BY hour, severity, category;

-- Alert volume per agent and host, by hour and severity (top agents, top hosts).
CREATE TABLE IF NOT EXISTS alerts_by_entity_agg
(
    hour      DateTime('UTC'),
    agent_id  String,
    host      String,
    severity  LowCardinality(String),
    alerts    AggregateFunction(uniqExact, String),
    last_alert_time SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(hour)
ORDER BY (hour, agent_id, host, severity)
TTL hour + INTERVAL {ttl_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS alerts_by_entity_mv TO alerts_by_entity_agg AS
SELECT toStartOfHour(event_time) AS hour, agent_id, host, severity, uniqExactState(alert_id) AS alerts, max(event_time) AS last_alert_time
FROM alerts
GROUP BY hour, agent_id, host, severity;

INSERT INTO alerts_by_entity_agg
SELECT toStartOfHour(event_time) AS hour, agent_id, host, severity, uniqExactState(alert_id) AS alerts, max(event_time) AS last_alert_time
FROM alerts
GROUP BY hour, agent_id, host, severity;

CREATE VIEW IF NOT EXISTS alerts_by_entity AS
SELECT hour, agent_id, host, severity, uniqExactMerge(alerts) AS alerts, max(last_alert_time) AS last_alert_time
FROM alerts_by_entity_agg
GROUP BY hour, agent_id, host, severity;

-- Model score distribution per day: 10 buckets of width 0.1 (bucket b holds scores in [b/10, (b+1)/10),
-- a score of 1.0 goes to bucket 9), per model version.
CREATE TABLE IF NOT EXISTS score_distribution_agg
(
    day            Date,
    model_version  LowCardinality(String),
    bucket         UInt8,
    alerts         AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, model_version, bucket)
TTL day + INTERVAL {ttl_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS score_distribution_mv TO score_distribution_agg AS
SELECT toDate(event_time) AS day, ifNull(model_version, '') AS model_version,
       toUInt8(least(greatest(floor(assumeNotNull(score) * 10), 0), 9)) AS bucket, uniqExactState(alert_id) AS alerts
FROM alerts
WHERE score IS NOT NULL
GROUP BY day, model_version, bucket;

INSERT INTO score_distribution_agg
SELECT toDate(event_time) AS day, ifNull(model_version, '') AS model_version,
       toUInt8(least(greatest(floor(assumeNotNull(score) * 10), 0), 9)) AS bucket, uniqExactState(alert_id) AS alerts
FROM alerts
WHERE score IS NOT NULL
GROUP BY day, model_version, bucket;

CREATE VIEW IF NOT EXISTS score_distribution AS
SELECT day, model_version, bucket, bucket / 10 AS score_from, (bucket + 1) / 10 AS score_to, uniqExactMerge(alerts) AS alerts
FROM score_distribution_agg
GROUP BY day, model_version, bucket;

-- Dead letters per hour by stage, dead-letter topic and reason.
CREATE TABLE IF NOT EXISTS dlq_hourly_agg
(
    hour          DateTime('UTC'),
    dlq_topic     LowCardinality(String),
    stage         LowCardinality(String),
    reason        LowCardinality(String),
    dead_letters  AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(hour)
ORDER BY (hour, dlq_topic, stage, reason)
TTL hour + INTERVAL {ttl_days} DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS dlq_hourly_mv TO dlq_hourly_agg AS
SELECT toStartOfHour(failed_at) AS hour, dlq_topic, stage, reason, uniqExactState(dlq_id) AS dead_letters
FROM dead_letters
GROUP BY hour, dlq_topic, stage, reason;

INSERT INTO dlq_hourly_agg
SELECT toStartOfHour(failed_at) AS hour, dlq_topic, stage, reason, uniqExactState(dlq_id) AS dead_letters
FROM dead_letters
GROUP BY hour, dlq_topic, stage, reason;

CREATE VIEW IF NOT EXISTS dlq_by_reason AS
SELECT hour, dlq_topic, stage, reason, uniqExactMerge(dead_letters) AS dead_letters
FROM dlq_hourly_agg
GROUP BY hour, dlq_topic, stage, reason;

-- Detection latency per hour and category, from the deduplicated alerts (FINAL): averages and
-- quantiles cannot be made redelivery-safe in an aggregate table, so this one is computed on read.
CREATE VIEW IF NOT EXISTS detection_latency AS
SELECT toStartOfHour(event_time) AS hour,
       category,
       count() AS alerts,
       avg(detection_latency_ms) AS avg_latency_ms,
       quantileExact(0.5)(detection_latency_ms) AS p50_latency_ms,
       quantileExact(0.9)(detection_latency_ms) AS p90_latency_ms,
       quantileExact(0.99)(detection_latency_ms) AS p99_latency_ms,
       avg(time_to_detect_ms) AS avg_time_to_detect_ms,
       quantileExact(0.9)(time_to_detect_ms) AS p90_time_to_detect_ms
FROM alerts FINAL
GROUP BY hour, category;

-- Purple-team coverage per exercise and technique, from the latest result of each scenario (FINAL).
CREATE VIEW IF NOT EXISTS purple_coverage AS
SELECT exercise_id,
       arrayJoin(if(empty(techniques), ['(none)'], techniques)) AS technique,
       count() AS scenarios,
       countIf(detected) AS detected_scenarios,
       countIf(gap = 'missed') AS missed,
       countIf(gap = 'late') AS late,
       countIf(gap = 'no_response') AS no_response,
       avgIf(time_to_detect_ms, detected) AS avg_time_to_detect_ms,
       avgIf(time_to_respond_ms, time_to_respond_ms IS NOT NULL) AS avg_time_to_respond_ms
FROM purple_gaps FINAL
GROUP BY exercise_id, technique;
