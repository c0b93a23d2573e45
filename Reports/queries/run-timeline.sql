-- The timeline of the newest run (faults, leader changes, recoveries, violations) in time order.
-- Change the WHERE clause to pick another run, e.g. WHERE r.scenario = 'etcd-leader-crash' AND r.seed = 7.
-- Usage: sqlite3 -header -column Reports/faultline.sqlite < Reports/queries/run-timeline.sql
SELECT printf('%.3f', t.at) AS at_s, t.kind, t.subject, t.detail
FROM timeline t
WHERE t.run_id = (SELECT MAX(id) FROM runs)
ORDER BY t.at, t.rowid;
