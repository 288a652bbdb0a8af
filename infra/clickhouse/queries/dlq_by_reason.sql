-- Dead letters by stage and reason over the last N hours (by failure time), with the first and last hour they occurred in.
-- @param hours UInt32 = 24 | look-back window in hours
SELECT stage, reason, uniqExactMerge(dead_letters) AS dead_letters, min(hour) AS first_hour, max(hour) AS last_hour
FROM dlq_hourly_agg
WHERE hour >= toStartOfHour(now() - INTERVAL {hours:UInt32} HOUR)
GROUP BY stage, reason
ORDER BY dead_letters DESC, stage, reason
