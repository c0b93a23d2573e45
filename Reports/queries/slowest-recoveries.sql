-- The 20 slowest recoveries, with the fault that caused them and the command that replays the run.
-- A seed run more than once (a sweep, then a check) counts once: its newest run of each version.
-- The scenario path is quoted for the shell when it needs to be (spaces, ';', quotes, ...).
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/slowest-recoveries.sql
SELECT r.scenario, printf('%llu', r.seed) AS seed, c.metric, printf('%.3f', c.seconds) AS seconds,
       f.kind AS fault, f.target, printf('%.3f', f.injected_at) AS injected_at_s,
       'faultline replay '
       || (CASE WHEN r.scenario_path <> '' AND r.scenario_path NOT GLOB '*[^A-Za-z0-9_./:,+@%-]*' THEN r.scenario_path
                ELSE '''' || replace(r.scenario_path, '''', '''\''''') || '''' END)
       || ' --seed ' || printf('%llu', r.seed) AS replay
FROM recoveries c
JOIN runs r ON r.id = c.run_id
LEFT JOIN faults f ON f.run_id = c.run_id AND f.fault_id = c.fault_id
WHERE r.id IN (SELECT MAX(id) FROM runs GROUP BY scenario, seed, version)
ORDER BY c.seconds DESC, r.id
LIMIT 20;
