-- The language each person reads the product in; '' follows the browser.
ALTER TABLE user_preferences ADD COLUMN language TEXT NOT NULL DEFAULT '';
