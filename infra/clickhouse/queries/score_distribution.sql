-- Model score distribution per day and model version over the last N days: alerts per score bucket of width 0.1 ([from, to); 1.0 is in the last bucket).
-- @param days UInt32 = 7 | look-back window in days, today included
SELECT day, model_version, bucket / 10 AS score_from, (bucket + 1) / 10 AS score_to, uniqExactMerge(alerts) AS alerts
FROM score_distribution_agg
WHERE day > today() - {days:UInt32}
GROUP BY day, model_version, bucket
ORDER BY day, model_version, bucket
