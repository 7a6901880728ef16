-- Each person's time zone and date format, chosen on their profile page.
-- An empty value means "not chosen yet": pages then use UTC and the
-- default format until the browser's zone is taken at the next sign-in.
CREATE TABLE user_preferences (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    time_zone  TEXT NOT NULL DEFAULT '',
    locale     TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);
