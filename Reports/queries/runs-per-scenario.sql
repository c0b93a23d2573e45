-- Runs per scenario and version: how many, how many failed, simulated vs wall time.
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/runs-per-scenario.sql
SELECT scenario, version,
       COUNT(*) AS runs,
       SUM(verdict = 'safety') AS safety_failures,
       SUM(verdict = 'liveness') AS liveness_failures,
       COUNT(DISTINCT seed) AS seeds,
       printf('%.1f', SUM(simulated_seconds)) AS simulated_s,
       printf('%.1f', SUM(wall_seconds)) AS wall_s,
       printf('%.1f', SUM(simulated_seconds) / MAX(SUM(wall_seconds), 1e-9)) AS sim_s_per_wall_s
FROM runs
GROUP BY scenario, version
ORDER BY scenario, version;
