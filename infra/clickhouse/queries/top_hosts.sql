-- Hosts with the most alerts over the last N hours, with how many agents alerted on each.
-- @param hours UInt32 = 24 | look-back window in hours
-- @param limit UInt32 = 10 | how many hosts
SELECT host,
       uniqExactMerge(e.alerts) AS alerts,
       uniqExactMergeIf(e.alerts, severity = 'critical') AS critical,
       uniqExactMergeIf(e.alerts, severity = 'high') AS high,
       uniqExact(agent_id) AS agents,
       max(e.last_alert_time) AS last_alert_time
FROM alerts_by_entity_agg AS e
WHERE e.hour >= toStartOfHour(now() - INTERVAL {hours:UInt32} HOUR)
GROUP BY host
ORDER BY alerts DESC, host
LIMIT {limit:UInt32}
