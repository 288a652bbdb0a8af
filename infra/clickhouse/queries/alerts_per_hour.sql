-- Alerts per hour by severity and category over the last N hours (each alert counted once, however often it was delivered).
-- @param hours UInt32 = 24 | look-back window in hours (from the start of the hour N hours ago)
SELECT hour, severity, category, alerts
FROM alerts_per_hour
WHERE hour >= toStartOfHour(now() - INTERVAL {hours:UInt32} HOUR)
ORDER BY hour, indexOf(['critical', 'high', 'medium', 'low', 'info'], severity), category
