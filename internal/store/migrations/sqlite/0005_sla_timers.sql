-- SLA timers on incidents and requests, and the activity feed that
-- escalations (and later other events) write to.

CREATE TABLE sla_timers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_kind      TEXT NOT NULL CHECK (ticket_kind IN ('incident', 'request')),
    ticket_id        INTEGER NOT NULL,
    definition_id    INTEGER NOT NULL REFERENCES sla_definitions (id),
    agreement_id     INTEGER NOT NULL REFERENCES agreements (id),
    metric           TEXT NOT NULL,
    cycle            INTEGER NOT NULL,
    goal             INTEGER NOT NULL,
    calendar_id      INTEGER NOT NULL REFERENCES calendars (id),
    priority         TEXT NOT NULL DEFAULT '',
    target_seconds   INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('running', 'paused', 'met', 'breached', 'cancelled')),
    running          BOOLEAN NOT NULL,
    elapsed_seconds  INTEGER NOT NULL DEFAULT 0,
    started_at       TEXT NOT NULL,
    stopped_at       TEXT,
    due_at           TEXT,
    original_due_at  TEXT,
    breached_at      TEXT,
    -- When the timer's outcome was decided: the stop for a met timer, the
    -- breach for a breached one. The report counts a timer in this period.
    decided_at       TEXT,
    segments         TEXT NOT NULL DEFAULT '[]',
    warned           INTEGER NOT NULL DEFAULT 0,
    next_event_at    TEXT,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX sla_timers_ticket ON sla_timers (ticket_kind, ticket_id, definition_id, cycle);
CREATE INDEX sla_timers_open_calendar ON sla_timers (calendar_id) WHERE stopped_at IS NULL;
CREATE INDEX sla_timers_open_definition ON sla_timers (definition_id) WHERE stopped_at IS NULL;
CREATE INDEX sla_timers_next_event ON sla_timers (next_event_at) WHERE next_event_at IS NOT NULL;
CREATE INDEX sla_timers_due ON sla_timers (due_at) WHERE stopped_at IS NULL AND running;
CREATE INDEX sla_timers_decided ON sla_timers (decided_at, agreement_id);
-- For the foreign keys: deleting a definition, calendar or agreement must
-- not scan every timer.
CREATE INDEX sla_timers_definition ON sla_timers (definition_id);
CREATE INDEX sla_timers_calendar ON sla_timers (calendar_id);
CREATE INDEX sla_timers_agreement ON sla_timers (agreement_id);

CREATE TABLE activity (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    INTEGER NOT NULL,
    ref          TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX activity_entity ON activity (entity, entity_id, id);
