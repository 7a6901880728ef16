-- Every timer a ticket starts wrote sla_timers_decided, yet no query walks
-- it: the report, the KPIs, the dashboards, the compliance rules and the
-- service reviews all ask for a range of decided_at, which
-- sla_timers_outcome (0025) serves, covering more of their columns and
-- holding only decided timers (EXPLAIN QUERY PLAN in docs/BENCHMARKS.md,
-- "Write path"). Filtering by agreement alone uses sla_timers_agreement.
DROP INDEX IF EXISTS sla_timers_decided;
