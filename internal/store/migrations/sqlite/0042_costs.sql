-- Budgeting and accounting for services (8.4.1). Money is kept in the
-- minor units of its ISO 4217 currency (cents for EUR, yen for JPY); a
-- period is a month (2026-03), a quarter (2026-Q1) or a year (2026), kept
-- as its label and its first and last day.

-- The currency the organisation accounts in: catalogue and asset costs are
-- in it, and every other amount is converted to it.
CREATE TABLE cost_settings (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    currency    TEXT NOT NULL DEFAULT 'EUR',
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO cost_settings (id, currency, updated_at) VALUES (1, 'EUR', '2026-01-01T00:00:00.000000Z');

-- Budgets per service and period; a budget without a service is the
-- service management system's own (the SMS budget).
CREATE TABLE budgets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  INTEGER REFERENCES services (id),
    period      TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    currency    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX budgets_service ON budgets (service_id, starts_on);

-- Costs entered by hand per service and period, with a category.
CREATE TABLE service_costs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  INTEGER NOT NULL REFERENCES services (id),
    period      TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('staff', 'hardware', 'software', 'network', 'facilities', 'external', 'other')),
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    currency    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  INTEGER REFERENCES users (id),
    created_at  TEXT NOT NULL
);
CREATE INDEX service_costs_service ON service_costs (service_id, starts_on);

-- The part of an underpinning contract's price each service bears, per
-- month, within the contract's term.
CREATE TABLE contract_costs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id      INTEGER NOT NULL REFERENCES agreements (id),
    service_id        INTEGER NOT NULL REFERENCES services (id),
    amount_per_month  INTEGER NOT NULL CHECK (amount_per_month >= 0),
    currency          TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX contract_costs_pair ON contract_costs (agreement_id, service_id);
CREATE INDEX contract_costs_service ON contract_costs (service_id);

-- Exchange rates an admin enters per period: one unit of from_currency is
-- rate_micros / 1,000,000 units of to_currency.
CREATE TABLE exchange_rates (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    from_currency  TEXT NOT NULL,
    to_currency    TEXT NOT NULL,
    period         TEXT NOT NULL,
    starts_on      TEXT NOT NULL,
    ends_on        TEXT NOT NULL,
    rate_micros    INTEGER NOT NULL CHECK (rate_micros > 0),
    created_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX exchange_rates_period ON exchange_rates (from_currency, to_currency, period);

-- Per service: what an hour of downtime costs, as its owner sets it, and
-- how its cost is allocated to customers.
CREATE TABLE service_cost_settings (
    service_id         INTEGER PRIMARY KEY REFERENCES services (id),
    downtime_per_hour  INTEGER CHECK (downtime_per_hour >= 0),
    downtime_currency  TEXT NOT NULL DEFAULT '',
    allocation         TEXT NOT NULL DEFAULT 'equal' CHECK (allocation IN ('equal', 'tickets', 'fixed')),
    updated_at         TEXT NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);

-- Fixed allocation: each customer's share in basis points (1/100 of a
-- percent); a service's shares add up to 10,000.
CREATE TABLE cost_allocation_shares (
    service_id    INTEGER NOT NULL REFERENCES services (id),
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    basis_points  INTEGER NOT NULL CHECK (basis_points > 0 AND basis_points <= 10000),
    PRIMARY KEY (service_id, customer_id)
);
