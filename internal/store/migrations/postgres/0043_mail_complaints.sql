-- What a mapped inbound-mail address opens: tickets (an incident or a
-- service request, as before) or complaints, raised through the
-- complaints register with source "email".
ALTER TABLE mail_in_addresses ADD COLUMN opens TEXT NOT NULL DEFAULT 'tickets';
