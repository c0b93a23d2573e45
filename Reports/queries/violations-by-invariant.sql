-- How often each invariant was violated, per scenario, with the earliest first violation seen.
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/violations-by-invariant.sql
SELECT scenario, invariant, kind,
       COUNT(*) AS failing_runs,
       SUM(violations) AS violations,
       printf('%.3f', MIN(first_violation_at)) AS earliest_s,
       MIN(seed) AS example_seed
FROM violations
GROUP BY scenario, invariant, kind
ORDER BY failing_runs DESC, scenario, invariant;
