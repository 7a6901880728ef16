-- Single sign-on through an OpenID provider, and a second factor (TOTP)
-- for accounts that sign in with a password.

-- The settings an administrator edits: which claim holds groups, the role
-- of users created on first sign-in, whether they are created at all,
-- whether users who signed in through the provider may still use a local
-- password, and the roles that must use a second factor (comma-separated).
CREATE TABLE identity_settings (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    groups_claim          TEXT NOT NULL DEFAULT 'groups',
    default_role          TEXT NOT NULL DEFAULT 'requester',
    create_users          BOOLEAN NOT NULL DEFAULT FALSE,
    -- People who signed in through the provider may not use a local password.
    sso_only              BOOLEAN NOT NULL DEFAULT FALSE,
    -- Existing administrators' accounts and accounts with a second factor
    -- are linked by their verified e-mail at the first sign-in through the
    -- provider only when this is on.
    link_privileged       BOOLEAN NOT NULL DEFAULT FALSE,
    second_factor_roles   TEXT NOT NULL DEFAULT '',
    updated_at            TEXT
);
INSERT INTO identity_settings (id) VALUES (1);

-- Claim value to role, customer and support group, in order.
CREATE TABLE identity_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    position     INTEGER NOT NULL,
    claim        TEXT NOT NULL,
    value        TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    customer_id  INTEGER REFERENCES customers (id) ON DELETE CASCADE,
    group_id     INTEGER REFERENCES support_groups (id) ON DELETE CASCADE
);

-- Which provider account (issuer, subject) is which user.
CREATE TABLE identity_links (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at     TEXT NOT NULL,
    last_sign_in  TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identity_links_user ON identity_links (user_id);

-- Answers from the provider already used: the state's hash, kept until its
-- sign-in would have expired, so that each answer is used once. What a
-- sign-in under way needs (nonce, PKCE verifier) travels sealed in the
-- browser's cookie, so starting one stores nothing.
CREATE TABLE identity_used_states (
    state_hash  TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL
);
CREATE INDEX identity_used_states_expiry ON identity_used_states (expires_at);

-- A user's TOTP secret; enabled_at is NULL while it is being set up.
-- last_step is the time step of the last code accepted, so no code is
-- accepted twice.
CREATE TABLE user_totp (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    enabled_at  TEXT,
    last_step   BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

-- Single-use recovery codes, hashed.
CREATE TABLE user_recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- A password accepted whose second factor is still to come: not a session.
-- purpose 'code' asks for a code, 'enrol' for setting one up first.
CREATE TABLE signin_challenges (
    id_hash     TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('code', 'enrol')),
    expires_at  TEXT NOT NULL
);
CREATE INDEX signin_challenges_user ON signin_challenges (user_id);
