-- Detection latency per category over the last N hours: event_time - first_evidence_time (how long the evidence took to build up) and detected_at - first_evidence_time (time to detect), in ms, over deduplicated alerts.
-- @param hours UInt32 = 24 | look-back window in hours (by alert event_time)
SELECT category,
       count() AS alerts,
       round(avg(detection_latency_ms), 1) AS avg_latency_ms,
       quantileExact(0.5)(detection_latency_ms) AS p50_latency_ms,
       quantileExact(0.9)(detection_latency_ms) AS p90_latency_ms,
       max(detection_latency_ms) AS max_latency_ms,
       round(avg(time_to_detect_ms), 1) AS avg_time_to_detect_ms,
       quantileExact(0.9)(time_to_detect_ms) AS p90_time_to_detect_ms
FROM alerts FINAL
WHERE event_time >= now() - INTERVAL {hours:UInt32} HOUR
GROUP BY category
ORDER BY alerts DESC, category
