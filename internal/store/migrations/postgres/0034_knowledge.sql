-- The knowledge base (clause 7.6). An article (KB-) is read in its
-- current version (published, or retired and hidden from requesters)
-- while a newer working version (draft or in review) is written beside
-- it. Articles have no journal: what changes goes to the audit trail.
CREATE TABLE kb_articles (
    id                  BIGSERIAL PRIMARY KEY,
    -- The title readers see: the current version's, else the working one's.
    title               TEXT NOT NULL,
    audience            TEXT NOT NULL CHECK (audience IN ('agents', 'requesters')),
    -- The state of the version readers see, else of the working version.
    state               TEXT NOT NULL CHECK (state IN ('draft', 'review', 'published', 'retired')),
    owner_id            BIGINT REFERENCES users (id),
    review_date         TEXT,
    current_version_id  BIGINT,
    working_version_id  BIGINT,
    view_count          INTEGER NOT NULL DEFAULT 0,
    created_by          BIGINT REFERENCES users (id),
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX kb_articles_title ON kb_articles (title, id);
CREATE INDEX kb_articles_updated ON kb_articles (updated_at, id);
CREATE INDEX kb_articles_state ON kb_articles (state, title, id);
CREATE INDEX kb_articles_review ON kb_articles (review_date) WHERE state = 'published';

-- An article for requesters may be limited to some customers; none listed
-- means every requester.
CREATE TABLE kb_article_customers (
    article_id   BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    customer_id  BIGINT NOT NULL REFERENCES customers (id),
    PRIMARY KEY (article_id, customer_id)
);

CREATE TABLE kb_versions (
    id            BIGSERIAL PRIMARY KEY,
    article_id    BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL CHECK (state IN ('draft', 'review', 'published', 'retired', 'superseded')),
    author_id     BIGINT REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    submitted_at  TIMESTAMPTZ,
    published_by  BIGINT REFERENCES users (id),
    published_at  TIMESTAMPTZ,
    UNIQUE (article_id, number)
);

-- "Did this help?": one answer per person and version.
CREATE TABLE kb_feedback (
    id          BIGSERIAL PRIMARY KEY,
    article_id  BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    version_id  BIGINT NOT NULL REFERENCES kb_versions (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    helpful     BOOLEAN NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (version_id, user_id)
);
CREATE INDEX kb_feedback_article ON kb_feedback (article_id, id);

-- Articles opened from a suggestion, with where the suggestion was made:
-- the form raising a new incident (a draft) or an incident's page. The
-- deflection count reads these.
CREATE TABLE kb_opens (
    id           BIGSERIAL PRIMARY KEY,
    article_id   BIGINT NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    context      TEXT NOT NULL CHECK (context IN ('draft', 'incident')),
    incident_id  BIGINT REFERENCES incidents (id),
    opened_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX kb_opens_at ON kb_opens (opened_at);
CREATE INDEX kb_opens_user ON kb_opens (user_id, opened_at);
