-- Purple-team detection coverage per exercise and ATT&CK technique: scenarios run, detected, coverage ratio, gaps by kind, mean times to detect/respond (latest result per scenario).
-- @param exercise String = '' | only this exercise ('' = all)
SELECT exercise_id, technique, scenarios, detected_scenarios AS detected, round(detected_scenarios / scenarios, 3) AS coverage, missed, late, no_response,
       round(avg_time_to_detect_ms) AS avg_time_to_detect_ms, round(avg_time_to_respond_ms) AS avg_time_to_respond_ms
FROM purple_coverage
WHERE {exercise:String} = '' OR exercise_id = {exercise:String}
ORDER BY exercise_id, coverage, technique
