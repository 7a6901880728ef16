-- The values a notification was written from (record number, title, who),
-- as a JSON object, so its page can word it in each reader's language;
-- '' for notifications that are only their stored text.
ALTER TABLE notifications ADD COLUMN params TEXT NOT NULL DEFAULT '';
