-- The 20 slowest recoveries, with the fault that caused them and the seed to replay.
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/slowest-recoveries.sql
SELECT r.scenario, printf('%llu', r.seed) AS seed, c.metric, printf('%.3f', c.seconds) AS seconds,
       f.kind AS fault, f.target, printf('%.3f', f.injected_at) AS injected_at_s,
       'faultline replay ' || r.scenario_path || ' --seed ' || printf('%llu', r.seed) AS replay
FROM recoveries c
JOIN runs r ON r.id = c.run_id
LEFT JOIN faults f ON f.run_id = c.run_id AND f.fault_id = c.fault_id
ORDER BY c.seconds DESC, r.id
LIMIT 20;
