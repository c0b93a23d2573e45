-- Determinism audit: the same scenario, seed and version must always give the same trace hash.
-- Any row here is a bug in Faultline (or a scenario file edited without renaming it).
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/nondeterminism.sql
SELECT scenario, seed, version, COUNT(DISTINCT trace_hash) AS distinct_hashes, group_concat(DISTINCT trace_hash) AS hashes
FROM runs
GROUP BY scenario, seed, version
HAVING COUNT(DISTINCT trace_hash) > 1;
