-- Capacity and demand (8.4.2, 8.4.3). A series is one metric of one CI or
-- one service (never both), with its thresholds, the action each calls
-- for, and optionally a Prometheus query that feeds it.
CREATE TABLE capacity_series (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ci_id         INTEGER REFERENCES cis (id),
    service_id    INTEGER REFERENCES services (id),
    metric        TEXT NOT NULL,
    unit          TEXT NOT NULL DEFAULT '',
    warn_at       REAL,
    warn_action   TEXT NOT NULL DEFAULT '',
    act_at        REAL,
    act_action    TEXT NOT NULL DEFAULT '',
    source_url    TEXT NOT NULL DEFAULT '',
    source_query  TEXT NOT NULL DEFAULT '',
    source_step   INTEGER NOT NULL DEFAULT 300,
    polled_until  INTEGER,
    poll_error    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK ((ci_id IS NULL) <> (service_id IS NULL))
);
CREATE UNIQUE INDEX capacity_series_ci ON capacity_series (ci_id, metric) WHERE ci_id IS NOT NULL;
CREATE UNIQUE INDEX capacity_series_service ON capacity_series (service_id, metric) WHERE service_id IS NOT NULL;

-- Samples: one row per series and instant (Unix seconds, UTC), clustered
-- on that key so a series' range is one index range and nothing else is
-- indexed. The first value recorded for an instant is kept.
CREATE TABLE capacity_samples (
    series_id  INTEGER NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (series_id, at)
) WITHOUT ROWID;

-- Each series' peak per UTC day (days since 1970-01-01), kept as samples
-- arrive: forecasts and long charts read these instead of every sample.
CREATE TABLE capacity_daily (
    series_id  INTEGER NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL,
    peak       REAL NOT NULL,
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;

-- A capacity plan per service: the document, the demand it expects and
-- the series it watches.
CREATE TABLE capacity_plans (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id      INTEGER NOT NULL UNIQUE REFERENCES services (id),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    demand          TEXT NOT NULL DEFAULT '',
    owner_id        INTEGER REFERENCES users (id),
    reviewed_on     TEXT,
    next_review_on  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE capacity_plan_series (
    plan_id    INTEGER NOT NULL REFERENCES capacity_plans (id) ON DELETE CASCADE,
    series_id  INTEGER NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, series_id)
);
CREATE INDEX capacity_plan_series_series ON capacity_plan_series (series_id);
