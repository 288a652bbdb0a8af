-- ATT&CK coverage per technique across purple-team exercises (latest result per scenario): scenarios run, detected, coverage ratio, gaps by kind, median/p90 time to detect, median time to respond.
-- @param exercise String = '' | only this exercise ('' = every exercise in the window)
-- @param days UInt32 = 30 | exercises whose scenarios started in the last N days
SELECT technique,
       count() AS scenarios,
       countIf(detected) AS detected_scenarios,
       round(countIf(detected) / count(), 3) AS coverage,
       countIf(gap = 'late') AS late,
       countIf(gap = 'missed') AS missed,
       countIf(gap = 'no_response') AS no_response,
       quantileExactIf(0.5)(time_to_detect_ms, detected) AS median_time_to_detect_ms,
       quantileExactIf(0.9)(time_to_detect_ms, detected) AS p90_time_to_detect_ms,
       quantileExactIf(0.5)(time_to_respond_ms, time_to_respond_ms IS NOT NULL) AS median_time_to_respond_ms,
       uniqExact(exercise_id) AS exercises
FROM purple_gaps FINAL
ARRAY JOIN if(empty(techniques), ['(none)'], techniques) AS technique
WHERE start_time >= now() - toIntervalDay({days:UInt32})
  AND ({exercise:String} = '' OR exercise_id = {exercise:String})
GROUP BY technique
ORDER BY coverage, technique
