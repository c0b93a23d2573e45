-- How often each invariant was violated, per scenario, with the earliest first violation seen.
-- A seed run more than once (a sweep, then a check) counts once: its newest run of each version.
-- example_seed is the smallest failing seed, compared as a number (seeds are unsigned 64-bit and
-- stored as their bit pattern, so seeds of 2^63 and above are negative in runs.seed).
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/violations-by-invariant.sql
SELECT v.scenario, v.invariant, v.kind,
       COUNT(*) AS failing_runs,
       SUM(v.violations) AS violations,
       printf('%.3f', MIN(v.first_violation_at)) AS earliest_s,
       printf('%llu', COALESCE(MIN(CASE WHEN r.seed >= 0 THEN r.seed END), MIN(r.seed))) AS example_seed
FROM violations v
JOIN runs r ON r.id = v.run_id
WHERE r.id IN (SELECT MAX(id) FROM runs GROUP BY scenario, seed, version)
GROUP BY v.scenario, v.invariant, v.kind
ORDER BY failing_runs DESC, v.scenario, v.invariant;
