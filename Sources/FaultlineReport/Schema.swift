import GRDB

/// The database schema: tables, views and the migrations that build them.
///
/// Invariant: migrations are append-only. A shipped migration is never edited (databases in the field
/// have applied it); a change is a new migration at the end, documented in `Reports/README.md`.
enum Schema {
    /// Every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    scenario TEXT NOT NULL,
                    scenario_path TEXT NOT NULL,
                    seed INTEGER NOT NULL,
                    version TEXT NOT NULL,
                    trace_hash TEXT NOT NULL,
                    events INTEGER NOT NULL,
                    simulated_seconds REAL NOT NULL,
                    wall_seconds REAL NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'safety', 'liveness')),
                    started_at TEXT NOT NULL
                );
                CREATE INDEX runs_by_scenario_seed ON runs(scenario, seed);
                CREATE TABLE faults (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    fault_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    injected_at REAL NOT NULL,
                    healed_at REAL,
                    PRIMARY KEY (run_id, fault_id)
                );
                CREATE TABLE invariant_results (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('safety', 'liveness')),
                    holds INTEGER NOT NULL,
                    violations INTEGER NOT NULL,
                    first_violation_at REAL,
                    detail TEXT NOT NULL,
                    PRIMARY KEY (run_id, name)
                );
                CREATE TABLE recoveries (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    fault_id TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    seconds REAL NOT NULL
                );
                CREATE INDEX recoveries_by_metric ON recoveries(metric);
                CREATE TABLE timeline (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                CREATE INDEX timeline_by_run ON timeline(run_id, at);
                CREATE VIEW violations AS
                    SELECT r.id AS run_id, r.scenario, r.seed, r.version, i.name AS invariant, i.kind,
                           i.violations, i.first_violation_at, i.detail
                    FROM invariant_results i JOIN runs r ON r.id = i.run_id
                    WHERE i.holds = 0;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, seed, version, verdict, trace_hash,
                           'faultline run ' || scenario_path || ' --seed ' || seed AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                CREATE VIEW recovery_percentiles AS
                    WITH ranked AS (
                        SELECT r.scenario, c.metric, c.seconds,
                               ROW_NUMBER() OVER (PARTITION BY r.scenario, c.metric ORDER BY c.seconds) AS rank,
                               COUNT(*) OVER (PARTITION BY r.scenario, c.metric) AS n
                        FROM recoveries c JOIN runs r ON r.id = c.run_id
                    )
                    SELECT scenario, metric, n,
                           MIN(CASE WHEN rank >= (50 * n + 99) / 100 THEN seconds END) AS p50,
                           MIN(CASE WHEN rank >= (95 * n + 99) / 100 THEN seconds END) AS p95,
                           MIN(CASE WHEN rank >= (99 * n + 99) / 100 THEN seconds END) AS p99,
                           MAX(seconds) AS max
                    FROM ranked GROUP BY scenario, metric;
                """)
        }
        // Seeds are unsigned 64-bit but SQLite integers are signed: `runs.seed` holds the bit pattern.
        // The views print it back unsigned, so a reproduce command names the seed the run used.
        migrator.registerMigration("v2-unsigned-seed-views") { db in
            try db.execute(sql: """
                DROP VIEW violations;
                DROP VIEW failing_runs;
                CREATE VIEW violations AS
                    SELECT r.id AS run_id, r.scenario, printf('%llu', r.seed) AS seed, r.version, i.name AS invariant, i.kind,
                           i.violations, i.first_violation_at, i.detail
                    FROM invariant_results i JOIN runs r ON r.id = i.run_id
                    WHERE i.holds = 0;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, printf('%llu', seed) AS seed, version, verdict, trace_hash,
                           'faultline run ' || scenario_path || ' --seed ' || printf('%llu', seed) AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                """)
        }
        // Service traffic per second (the availability series), and a view over it.
        migrator.registerMigration("v3-traffic") { db in
            try db.execute(sql: """
                CREATE TABLE traffic (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    second INTEGER NOT NULL,
                    service TEXT NOT NULL,
                    sent INTEGER NOT NULL,
                    served INTEGER NOT NULL,
                    refused INTEGER NOT NULL,
                    dead_pod INTEGER NOT NULL,
                    timed_out INTEGER NOT NULL,
                    PRIMARY KEY (run_id, service, second)
                );
                CREATE VIEW service_availability AS
                    SELECT t.run_id, r.scenario, printf('%llu', r.seed) AS seed, t.service,
                           SUM(t.sent) AS sent, SUM(t.served) AS served,
                           ROUND(100.0 * SUM(t.served) / SUM(t.sent), 3) AS availability_pct,
                           SUM(CASE WHEN t.served * 100 < t.sent * 99 THEN 1 ELSE 0 END) AS seconds_below_99pct
                    FROM traffic t JOIN runs r ON r.id = t.run_id
                    GROUP BY t.run_id, t.service;
                """)
        }
        // Reproduce commands quote the scenario path for the shell (a path with a space or `;` must not
        // run something else; the CASE is `shellQuoted` in SQL). Percentiles count each (scenario, seed,
        // version) once, from its newest run: a seed run by a sweep and again by a check is one sample.
        migrator.registerMigration("v4-quoted-reproduce-latest-runs") { db in
            try db.execute(sql: """
                DROP VIEW failing_runs;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, printf('%llu', seed) AS seed, version, verdict, trace_hash,
                           'faultline run '
                           || (CASE WHEN scenario_path <> '' AND scenario_path NOT GLOB '*[^A-Za-z0-9_./:,+@%-]*' THEN scenario_path
                                    ELSE '''' || replace(scenario_path, '''', '''\\''''') || '''' END)
                           || ' --seed ' || printf('%llu', seed) AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                CREATE VIEW latest_runs AS
                    SELECT * FROM runs WHERE id IN (SELECT MAX(id) FROM runs GROUP BY scenario, seed, version);
                DROP VIEW recovery_percentiles;
                CREATE VIEW recovery_percentiles AS
                    WITH ranked AS (
                        SELECT r.scenario, c.metric, c.seconds,
                               ROW_NUMBER() OVER (PARTITION BY r.scenario, c.metric ORDER BY c.seconds) AS rank,
                               COUNT(*) OVER (PARTITION BY r.scenario, c.metric) AS n
                        FROM recoveries c JOIN latest_runs r ON r.id = c.run_id
                    )
                    SELECT scenario, metric, n,
                           MIN(CASE WHEN rank >= (50 * n + 99) / 100 THEN seconds END) AS p50,
                           MIN(CASE WHEN rank >= (95 * n + 99) / 100 THEN seconds END) AS p95,
                           MIN(CASE WHEN rank >= (99 * n + 99) / 100 THEN seconds END) AS p99,
                           MAX(seconds) AS max
                    FROM ranked GROUP BY scenario, metric;
                """)
        }
        // What a run's page draws: the etcd clients' outcomes per second, a bounded sample of request
        // latencies, and the scenario fields a what-if sweep overrode (`--vary`, `--set`). Reproduce
        // commands name those overrides, so a variant's failing seed replays as it ran.
        migrator.registerMigration("v5-client-series-parameters") { db in
            try db.execute(sql: """
                CREATE TABLE client_seconds (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    second INTEGER NOT NULL,
                    ok INTEGER NOT NULL,
                    unknown INTEGER NOT NULL,
                    PRIMARY KEY (run_id, second)
                );
                CREATE TABLE latency_samples (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    called_at REAL NOT NULL,
                    client INTEGER NOT NULL,
                    op TEXT NOT NULL,
                    latency_ms REAL
                );
                CREATE INDEX latency_samples_by_run ON latency_samples(run_id);
                CREATE TABLE run_parameters (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (run_id, position)
                );
                DROP VIEW failing_runs;
                CREATE VIEW failing_runs AS
                    SELECT id AS run_id, scenario, scenario_path, printf('%llu', seed) AS seed, version, verdict, trace_hash,
                           'faultline run '
                           || (CASE WHEN scenario_path <> '' AND scenario_path NOT GLOB '*[^A-Za-z0-9_./:,+@%-]*' THEN scenario_path
                                    ELSE '''' || replace(scenario_path, '''', '''\\''''') || '''' END)
                           || ' --seed ' || printf('%llu', seed)
                           || COALESCE((SELECT group_concat(part, '') FROM
                                          (SELECT ' --set ' || p.path || '=' || p.value AS part FROM run_parameters p
                                           WHERE p.run_id = runs.id ORDER BY p.position)), '') AS reproduce
                    FROM runs WHERE verdict <> 'pass';
                """)
        }
        return migrator
    }
}
