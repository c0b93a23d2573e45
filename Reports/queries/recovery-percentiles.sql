-- Recovery percentiles per scenario and metric (nearest-rank), seconds from fault injection.
-- The view counts each (scenario, seed, version) once, from its newest run (migration v4).
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/recovery-percentiles.sql
SELECT scenario, metric, n,
       printf('%.3f', p50) AS p50_s,
       printf('%.3f', p95) AS p95_s,
       printf('%.3f', p99) AS p99_s,
       printf('%.3f', max) AS max_s
FROM recovery_percentiles
ORDER BY scenario, metric;
