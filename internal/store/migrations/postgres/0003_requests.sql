-- Service requests (8.6.2): catalogue items with their forms, approval rules
-- and fulfilment task templates; requests with approvals, tasks and an
-- append-only journal; who manages whom (for approval by the manager); and
-- in-app notifications.

CREATE TABLE catalog_items (
    id                 BIGSERIAL PRIMARY KEY,
    service_id         BIGINT NOT NULL REFERENCES services (id),
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    approval_rule      TEXT NOT NULL DEFAULT 'none' CHECK (approval_rule IN ('none', 'user', 'manager', 'group')),
    approver_id        BIGINT REFERENCES users (id),
    approval_group_id  BIGINT REFERENCES support_groups (id),
    approval_mode      TEXT NOT NULL DEFAULT 'any' CHECK (approval_mode IN ('any', 'all')),
    group_id           BIGINT REFERENCES support_groups (id),
    form               TEXT NOT NULL DEFAULT '{"fields":[]}',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX catalog_items_name ON catalog_items (service_id, lower(name));

-- The tasks a request of the item starts with. Templates of one stage
-- (the same position) run in parallel; a stage starts when the one before
-- it is finished.
CREATE TABLE catalog_task_templates (
    item_id   BIGINT NOT NULL REFERENCES catalog_items (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    name      TEXT NOT NULL,
    group_id  BIGINT REFERENCES support_groups (id),
    stage     INTEGER NOT NULL,
    PRIMARY KEY (item_id, seq)
);
CREATE INDEX catalog_task_templates_group ON catalog_task_templates (group_id);

CREATE TABLE user_managers (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    manager_id  BIGINT NOT NULL REFERENCES users (id),
    CHECK (user_id <> manager_id)
);
CREATE INDEX user_managers_manager ON user_managers (manager_id);

CREATE TABLE requests (
    id                 BIGSERIAL PRIMARY KEY,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    requester_id       BIGINT NOT NULL REFERENCES users (id),
    customer_id        BIGINT REFERENCES customers (id),
    service_id         BIGINT NOT NULL REFERENCES services (id),
    item_id            BIGINT NOT NULL REFERENCES catalog_items (id),
    form               TEXT NOT NULL DEFAULT '{"fields":[]}',
    answers            TEXT NOT NULL DEFAULT '{}',
    priority           INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('submitted', 'awaiting_approval', 'in_fulfilment',
                           'fulfilled', 'closed', 'rejected', 'cancelled')),
    group_id           BIGINT REFERENCES support_groups (id),
    assignee_id        BIGINT REFERENCES users (id),
    reopen_count       INTEGER NOT NULL DEFAULT 0,
    created_by         BIGINT REFERENCES users (id),
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    first_response_at  TIMESTAMPTZ,
    fulfilled_at       TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    version            INTEGER NOT NULL DEFAULT 1
);
-- As for incidents: each index serves "one value of this column, newest
-- first"; other filters are checked while walking (internal/request/list.go).
CREATE INDEX requests_created ON requests (created_at, id);
CREATE INDEX requests_updated ON requests (updated_at, id);
CREATE INDEX requests_state ON requests (state, created_at, id);
CREATE INDEX requests_priority ON requests (priority, id);
CREATE INDEX requests_group ON requests (group_id, created_at, id);
CREATE INDEX requests_assignee ON requests (assignee_id, created_at, id);
CREATE INDEX requests_customer ON requests (customer_id, created_at, id);
CREATE INDEX requests_requester ON requests (requester_id, created_at, id);
CREATE INDEX requests_service ON requests (service_id, created_at, id);
CREATE INDEX requests_item ON requests (item_id, created_at, id);

-- One row per decision owed: a named user, or a whole group of which any
-- one member may decide (approver_id NULL).
CREATE TABLE request_approvals (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES requests (id),
    approver_id  BIGINT REFERENCES users (id),
    group_id     BIGINT REFERENCES support_groups (id),
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'cancelled')),
    comment      TEXT NOT NULL DEFAULT '',
    decided_by   BIGINT REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    decided_at   TIMESTAMPTZ,
    CHECK (approver_id IS NOT NULL OR group_id IS NOT NULL)
);
CREATE INDEX request_approvals_request ON request_approvals (request_id, id);
CREATE INDEX request_approvals_approver ON request_approvals (approver_id, state, id);
CREATE INDEX request_approvals_group ON request_approvals (group_id, state, id);

CREATE TABLE request_tasks (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES requests (id),
    name         TEXT NOT NULL,
    stage        INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'open', 'done', 'cancelled')),
    group_id     BIGINT REFERENCES support_groups (id),
    assignee_id  BIGINT REFERENCES users (id),
    note         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    opened_at    TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX request_tasks_request ON request_tasks (request_id, stage, id);
CREATE INDEX request_tasks_group ON request_tasks (group_id, state);
CREATE INDEX request_tasks_assignee ON request_tasks (assignee_id, state);

CREATE TABLE request_journal (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES requests (id),
    kind         TEXT NOT NULL CHECK (kind IN ('created', 'comment', 'work_note', 'change', 'approval', 'task')),
    author_id    BIGINT REFERENCES users (id),
    author_name  TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX request_journal_request ON request_journal (request_id, id);

CREATE FUNCTION request_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'the request journal is append-only'; END $$;
CREATE TRIGGER request_journal_append_only BEFORE UPDATE OR DELETE ON request_journal
FOR EACH ROW EXECUTE FUNCTION request_journal_append_only();

CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;
