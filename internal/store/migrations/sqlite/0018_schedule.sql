-- Freeze periods: no change should be implemented in [starts_at, ends_at)
-- on the services and CIs listed; a freeze that lists none covers
-- everything.
CREATE TABLE freeze_periods (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    created_by  INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    CHECK (ends_at > starts_at)
);
CREATE INDEX freeze_periods_end ON freeze_periods (ends_at, starts_at);

CREATE TABLE freeze_period_services (
    freeze_id   INTEGER NOT NULL REFERENCES freeze_periods (id) ON DELETE CASCADE,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    PRIMARY KEY (freeze_id, service_id)
);
CREATE INDEX freeze_period_services_service ON freeze_period_services (service_id);

CREATE TABLE freeze_period_cis (
    freeze_id  INTEGER NOT NULL REFERENCES freeze_periods (id) ON DELETE CASCADE,
    ci_id      INTEGER NOT NULL REFERENCES cis (id),
    PRIMARY KEY (freeze_id, ci_id)
);
CREATE INDEX freeze_period_cis_ci ON freeze_period_cis (ci_id);

-- A maintenance window is a business calendar whose working time is when
-- changes to the service or CI may be made.
ALTER TABLE services ADD COLUMN maintenance_calendar_id INTEGER REFERENCES calendars (id);
ALTER TABLE cis ADD COLUMN maintenance_calendar_id INTEGER REFERENCES calendars (id);
CREATE INDEX cis_maintenance_calendar ON cis (maintenance_calendar_id) WHERE maintenance_calendar_id IS NOT NULL;

-- Per-person secrets for subscribing to the change calendar; only a
-- SHA-256 digest of each is kept.
CREATE TABLE calendar_feed_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE UNIQUE INDEX calendar_feed_tokens_hash ON calendar_feed_tokens (token_hash);
CREATE INDEX calendar_feed_tokens_user ON calendar_feed_tokens (user_id);

-- Every planned change (closed ones too) for the calendar, holding what
-- the calendar shows so that a month is read from the index alone; and the
-- length of the longest window, one index probe: a window that overlaps
-- [from, to) starts after from minus that length, which bounds every range
-- scan on planned_start from both sides.
CREATE INDEX changes_calendar ON changes (planned_start, planned_end, state, type, assignee_id, title)
    WHERE planned_start IS NOT NULL AND state NOT IN ('cancelled', 'rejected');
CREATE INDEX changes_span ON changes ((julianday(planned_end) - julianday(planned_start)))
    WHERE planned_start IS NOT NULL AND state NOT IN ('cancelled', 'rejected');
