-- Model drift per scoring window: the largest population stability index and its feature (0.1 moderate shift, 0.25 large), newest first.
-- @param hours UInt32 = 24 | look-back window in hours
SELECT model_version, window_end, rows, max_feature, round(max_psi, 4) AS max_psi
FROM model_drift FINAL
WHERE window_end >= now64(3) - toIntervalHour({hours:UInt32})
ORDER BY window_end DESC
LIMIT 100
