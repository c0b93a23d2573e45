-- Every failing run with the command that reproduces it, newest first.
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/failing-seeds.sql
SELECT f.scenario, f.seed, f.verdict, f.version, f.trace_hash, f.reproduce,
       (SELECT group_concat(v.invariant, ', ') FROM violations v WHERE v.run_id = f.run_id) AS violated
FROM failing_runs f
ORDER BY f.run_id DESC;
