-- Sign-in attempts and lockouts. An attempt is written, as pending, in the
-- same write transaction that counts the attempts before it, and only then
-- is the password checked; so a burst of simultaneous sign-ins cannot get
-- more password checks than the limits allow. A pending attempt counts as a
-- failure until it is settled.
CREATE TABLE login_attempts (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    email    TEXT NOT NULL,
    ip       TEXT NOT NULL,
    at       TEXT NOT NULL,
    outcome  TEXT NOT NULL DEFAULT 'pending'
             CHECK (outcome IN ('pending', 'failed', 'succeeded', 'cleared'))
);
CREATE INDEX login_attempts_pair ON login_attempts (email, ip, at);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- The failures of the last day keep counting.
INSERT INTO login_attempts (email, ip, at, outcome)
    SELECT email, ip, at, 'failed' FROM login_failures;
DROP TABLE login_failures;

-- A lockout of one account from one address (both set), of one account
-- from every address (ip ''), or of one address from every account
-- (email ''). lockouts counts the lockouts in a row, so that each lasts
-- longer than the one before; failures before locked_until no longer count
-- once it has passed.
CREATE TABLE login_locks (
    email         TEXT NOT NULL,
    ip            TEXT NOT NULL,
    lockouts      INTEGER NOT NULL,
    locked_until  TEXT NOT NULL,
    PRIMARY KEY (email, ip)
);
