-- Trend per purple-team exercise, oldest first: scenarios, detected/late/missed/no_response, detection rate and its change from the previous exercise, mean time to detect/respond, techniques detected.
-- @param days UInt32 = 90 | exercises whose scenarios started in the last N days
SELECT exercise_id,
       started,
       scenarios,
       detected_scenarios,
       late,
       missed,
       no_response,
       detection_rate,
       round(detection_rate - lagInFrame(detection_rate, 1, detection_rate) OVER (ORDER BY started ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 3) AS rate_change,
       avg_time_to_detect_ms,
       avg_time_to_respond_ms,
       techniques_detected,
       techniques_run
FROM
(
    SELECT exercise_id,
           min(start_time) AS started,
           count() AS scenarios,
           countIf(detected) AS detected_scenarios,
           countIf(gap = 'late') AS late,
           countIf(gap = 'missed') AS missed,
           countIf(gap = 'no_response') AS no_response,
           round(countIf(detected) / count(), 3) AS detection_rate,
           round(avgIf(time_to_detect_ms, detected)) AS avg_time_to_detect_ms,
           round(avgIf(time_to_respond_ms, time_to_respond_ms IS NOT NULL)) AS avg_time_to_respond_ms,
           length(groupUniqArrayArrayIf(techniques, detected)) AS techniques_detected,
           length(groupUniqArrayArray(techniques)) AS techniques_run
    FROM purple_gaps FINAL
    WHERE start_time >= now() - toIntervalDay({days:UInt32})
    GROUP BY exercise_id
)
ORDER BY started
