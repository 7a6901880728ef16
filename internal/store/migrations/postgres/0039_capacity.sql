-- Capacity and demand (8.4.2, 8.4.3). A series is one metric of one CI or
-- one service (never both), with its thresholds, the action each calls
-- for, and optionally a Prometheus query that feeds it.
CREATE TABLE capacity_series (
    id            BIGSERIAL PRIMARY KEY,
    ci_id         BIGINT REFERENCES cis (id),
    service_id    BIGINT REFERENCES services (id),
    metric        TEXT NOT NULL,
    unit          TEXT NOT NULL DEFAULT '',
    warn_at       DOUBLE PRECISION,
    warn_action   TEXT NOT NULL DEFAULT '',
    act_at        DOUBLE PRECISION,
    act_action    TEXT NOT NULL DEFAULT '',
    source_url    TEXT NOT NULL DEFAULT '',
    source_query  TEXT NOT NULL DEFAULT '',
    source_step   INTEGER NOT NULL DEFAULT 300,
    polled_until  BIGINT,
    poll_error    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK ((ci_id IS NULL) <> (service_id IS NULL))
);
CREATE UNIQUE INDEX capacity_series_ci ON capacity_series (ci_id, metric) WHERE ci_id IS NOT NULL;
CREATE UNIQUE INDEX capacity_series_service ON capacity_series (service_id, metric) WHERE service_id IS NOT NULL;

-- Samples: one row per series and instant (Unix seconds, UTC), clustered
-- on that key so a series' range is one index range and nothing else is
-- indexed. The first value recorded for an instant is kept.
CREATE TABLE capacity_samples (
    series_id  BIGINT NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    value      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, at)
);

-- Each series' peak per UTC day (days since 1970-01-01), kept as samples
-- arrive: forecasts and long charts read these instead of every sample.
CREATE TABLE capacity_daily (
    series_id  BIGINT NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL,
    peak       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (series_id, day)
);

-- A capacity plan per service: the document, the demand it expects and
-- the series it watches.
CREATE TABLE capacity_plans (
    id              BIGSERIAL PRIMARY KEY,
    service_id      BIGINT NOT NULL UNIQUE REFERENCES services (id),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    demand          TEXT NOT NULL DEFAULT '',
    owner_id        BIGINT REFERENCES users (id),
    reviewed_on     TEXT,
    next_review_on  TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE capacity_plan_series (
    plan_id    BIGINT NOT NULL REFERENCES capacity_plans (id) ON DELETE CASCADE,
    series_id  BIGINT NOT NULL REFERENCES capacity_series (id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, series_id)
);
CREATE INDEX capacity_plan_series_series ON capacity_plan_series (series_id);
