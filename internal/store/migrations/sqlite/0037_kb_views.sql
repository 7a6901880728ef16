-- The day each person was last counted reading an article: an article's
-- views count a person once a day, so a reload is not a second reader.
CREATE TABLE kb_views (
    article_id  INTEGER NOT NULL REFERENCES kb_articles (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    day         TEXT NOT NULL,
    PRIMARY KEY (article_id, user_id)
);
