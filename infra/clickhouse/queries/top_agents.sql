-- Agents with the most alerts over the last N hours, with their critical/high counts and last alert time.
-- @param hours UInt32 = 24 | look-back window in hours
-- @param limit UInt32 = 10 | how many agents
SELECT agent_id,
       uniqExactMerge(e.alerts) AS alerts,
       uniqExactMergeIf(e.alerts, severity = 'critical') AS critical,
       uniqExactMergeIf(e.alerts, severity = 'high') AS high,
       arrayStringConcat(arraySort(groupUniqArray(host)), ',') AS hosts,
       max(e.last_alert_time) AS last_alert_time
FROM alerts_by_entity_agg AS e
WHERE e.hour >= toStartOfHour(now() - INTERVAL {hours:UInt32} HOUR)
GROUP BY agent_id
ORDER BY alerts DESC, agent_id
LIMIT {limit:UInt32}
