-- Every timer a ticket starts wrote three indexes no query walks:
-- sla_timers_definition, sla_timers_calendar and sla_timers_agreement.
-- Recomputing after a calendar or definition edit walks the open timers
-- (sla_timers_open_calendar, sla_timers_open_definition); the report, the
-- KPIs, the service reviews' supplier summary and the compliance rules
-- narrow by agreement or definition within a range of decided_at, which
-- sla_timers_outcome serves (EXPLAIN QUERY PLAN in docs/BENCHMARKS.md,
-- "Write path"). Deleting a calendar, definition or agreement now checks
-- the timers that might still refer to it by reading the table, which an
-- administrator does rarely and never while a ticket waits.
DROP INDEX IF EXISTS sla_timers_definition;
DROP INDEX IF EXISTS sla_timers_calendar;
DROP INDEX IF EXISTS sla_timers_agreement;
