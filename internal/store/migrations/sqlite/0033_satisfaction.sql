-- What customers feel (clause 8.3.2): satisfaction surveys sent when an
-- incident is resolved or a request fulfilled, complaints (CMP-) with their
-- journal, and service reviews held with customers per agreement, with the
-- pack compiled for each and the actions agreed. The survey rules are the
-- settings row 'satisfaction.rules'.

-- Complaints: raised by a requester, by an agent on their behalf, by a low
-- rating or by an e-mail; worked from received through investigation to a
-- response and closure, where the customer's acceptance is recorded.
CREATE TABLE complaints (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL CHECK (state IN ('received', 'investigating', 'responded', 'closed')),
    source         TEXT NOT NULL CHECK (source IN ('requester', 'agent', 'rating', 'email')),
    -- A complaint from a low rating whose ticket had no customer has none.
    customer_id    INTEGER REFERENCES customers (id),
    requester_id   INTEGER REFERENCES users (id),
    owner_id       INTEGER REFERENCES users (id),
    -- The record the complaint is about: 'incident', 'request', ... and its id.
    related_kind   TEXT NOT NULL DEFAULT '',
    related_id     INTEGER,
    target_on      TEXT NOT NULL, -- YYYY-MM-DD
    investigation  TEXT NOT NULL DEFAULT '',
    response       TEXT NOT NULL DEFAULT '',
    closure        TEXT NOT NULL DEFAULT '',
    accepted       BOOLEAN,
    created_by     INTEGER REFERENCES users (id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    responded_at   TEXT,
    closed_at      TEXT,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX complaints_state ON complaints (state, target_on, id);
CREATE INDEX complaints_customer ON complaints (customer_id, created_at, id);
CREATE INDEX complaints_requester ON complaints (requester_id, created_at, id);
CREATE INDEX complaints_closed ON complaints (closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE complaint_journal (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id  INTEGER NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL, -- created, change, work_note
    author_id     INTEGER REFERENCES users (id),
    author_name   TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL DEFAULT '',
    changes       TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL
);
CREATE INDEX complaint_journal_complaint ON complaint_journal (complaint_id, id);

-- One survey per ticket, ever: a ticket reopened and resolved again is not
-- asked twice. The customer, service, group and agent are those of the
-- ticket when it was resolved, for the reports.
CREATE TABLE satisfaction_surveys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_kind   TEXT NOT NULL CHECK (ticket_kind IN ('incident', 'request')),
    ticket_id     INTEGER NOT NULL,
    requester_id  INTEGER NOT NULL REFERENCES users (id),
    customer_id   INTEGER REFERENCES customers (id),
    service_id    INTEGER REFERENCES services (id),
    group_id      INTEGER REFERENCES support_groups (id),
    agent_id      INTEGER REFERENCES users (id),
    sent_at       TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    rating        INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT NOT NULL DEFAULT '',
    answered_at   TEXT,
    complaint_id  INTEGER REFERENCES complaints (id)
);
CREATE UNIQUE INDEX satisfaction_surveys_ticket ON satisfaction_surveys (ticket_kind, ticket_id);
CREATE INDEX satisfaction_surveys_sent ON satisfaction_surveys (sent_at, id);
CREATE INDEX satisfaction_surveys_requester ON satisfaction_surveys (requester_id, sent_at);

-- Service reviews with customers: each agreement reviewed every so many
-- months; holding one schedules the next.
CREATE TABLE service_reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id    INTEGER NOT NULL REFERENCES agreements (id),
    customer_id     INTEGER REFERENCES customers (id),
    every_months    INTEGER NOT NULL CHECK (every_months BETWEEN 1 AND 24),
    planned_on      TEXT NOT NULL, -- YYYY-MM-DD
    -- The period the review looks back on: [period_start, period_end).
    period_start    TEXT NOT NULL,
    period_end      TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('planned', 'held', 'cancelled')),
    held_on         TEXT,
    attendees       TEXT NOT NULL DEFAULT '',
    minutes         TEXT NOT NULL DEFAULT '',
    pack            TEXT NOT NULL DEFAULT '', -- JSON, compiled from the records
    pack_at         TEXT,
    next_id         INTEGER REFERENCES service_reviews (id),
    created_by      INTEGER REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX service_reviews_planned ON service_reviews (state, planned_on, id);
CREATE INDEX service_reviews_agreement ON service_reviews (agreement_id, planned_on);

CREATE TABLE service_review_actions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id   INTEGER NOT NULL REFERENCES service_reviews (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    owner_id    INTEGER REFERENCES users (id),
    due_on      TEXT,
    done_at     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX service_review_actions_review ON service_review_actions (review_id, id);
