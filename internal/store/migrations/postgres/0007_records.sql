-- The record kernel every ticket-like kind shares: links between records of
-- any kind, attachments stored in the database in chunks, saved list
-- filters, and full-text search over requests.

-- A link is stored once, in its canonical direction: "parent" reads
-- from_* is a child of to_*; "duplicate_of" and "caused_by" read from_*
-- to to_*; "related" has no direction and is stored with the lower
-- (kind, id) first. Each end reads it from its own side.
CREATE TABLE record_links (
    id          BIGSERIAL PRIMARY KEY,
    from_kind   TEXT NOT NULL,
    from_id     BIGINT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('related', 'parent', 'duplicate_of', 'caused_by')),
    to_kind     TEXT NOT NULL,
    to_id       BIGINT NOT NULL,
    created_by  BIGINT REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX record_links_pair ON record_links (from_kind, from_id, type, to_kind, to_id);
CREATE INDEX record_links_to ON record_links (to_kind, to_id, type);
-- A record has at most one parent.
CREATE UNIQUE INDEX record_links_one_parent ON record_links (from_kind, from_id) WHERE type = 'parent';

CREATE TABLE attachments (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    record_id     BIGINT NOT NULL,
    entry_id      BIGINT,             -- the journal entry (comment) it came with, if any
    internal      BOOLEAN NOT NULL DEFAULT FALSE, -- came with a work note: staff only
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_record ON attachments (kind, record_id, id);

CREATE TABLE attachment_chunks (
    attachment_id  BIGINT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    data           BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);

CREATE TABLE saved_filters (
    id          BIGSERIAL PRIMARY KEY,
    owner_id    BIGINT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,        -- the list's query string, e.g. state=open&group_id=3
    shared      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX saved_filters_owner ON saved_filters (owner_id, kind, id);
CREATE INDEX saved_filters_shared ON saved_filters (kind, id) WHERE shared;

-- Requests' words, kept by the database itself.
ALTER TABLE requests ADD COLUMN search TSVECTOR
    GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || description)) STORED;
CREATE INDEX requests_search ON requests USING GIN (search);
