-- One-click rating from e-mail: the survey message carries a link with a
-- secret that stands for the survey's requester on that survey only. Only
-- its SHA-256 is kept; the link works while the survey is open, and once
-- rated, for the comment that may follow. Writing a new message for the
-- same survey replaces the secret, so only the latest link works.
CREATE TABLE survey_tokens (
    survey_id   INTEGER PRIMARY KEY REFERENCES satisfaction_surveys (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
