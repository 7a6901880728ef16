-- The requirement each service of a plan had when a test of the plan was
-- recorded: a test is judged against the RTO and RPO in force then, not
-- against requirements changed since. A service without a requirement
-- then keeps a row with no figures. Tests recorded before this table
-- existed take the requirements of the day it was added.
CREATE TABLE continuity_test_requirements (
    test_id      INTEGER NOT NULL REFERENCES continuity_tests (id) ON DELETE CASCADE,
    service_id   INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    rto_minutes  INTEGER,
    rpo_minutes  INTEGER,
    PRIMARY KEY (test_id, service_id)
);

INSERT INTO continuity_test_requirements (test_id, service_id, rto_minutes, rpo_minutes)
SELECT t.id, ps.service_id, r.rto_minutes, r.rpo_minutes
FROM continuity_tests t
JOIN continuity_plan_services ps ON ps.plan_id = t.plan_id
LEFT JOIN continuity_requirements r ON r.service_id = ps.service_id;
