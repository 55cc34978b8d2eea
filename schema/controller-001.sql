-- keycabd's local database, schema version 1 (PRAGMA user_version = 1).
-- Migration N takes a database from version N-1 to N; keycabd applies them
-- at start in one transaction and refuses a database newer than it knows.
-- Times are integers: UTC milliseconds since the epoch.

-- The cabinet's event chain: the last sequence number and hash, updated in
-- the same transaction as every outbox insert (architecture decisions 2, 3).
CREATE TABLE chain (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	cabinet TEXT NOT NULL,
	last_seq INTEGER NOT NULL,
	last_hash TEXT NOT NULL
);
-- Events waiting for the audit service; the forwarder reads and deletes.
CREATE TABLE outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL); -- body = sealed event JSON (kc_event_seal)

CREATE TABLE sites (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	age TEXT NOT NULL CHECK (age IN ('new', 'old'))
);
CREATE TABLE units (
	code TEXT PRIMARY KEY,
	site TEXT NOT NULL REFERENCES sites (code),
	building TEXT NOT NULL DEFAULT '',
	room TEXT NOT NULL DEFAULT '',
	vacant INTEGER NOT NULL DEFAULT 0 CHECK (vacant IN (0, 1))
);
-- Owners: the ID number only as a keyed hash (common/pdata.h) and a masked form.
CREATE TABLE owners (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT '',
	unit TEXT REFERENCES units (code),
	id_type TEXT NOT NULL,
	id_hash TEXT NOT NULL,
	id_masked TEXT NOT NULL
);
-- Staff, engineers, managers, supervisors. PIN as argon2id, card as a keyed hash.
CREATE TABLE people (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('staff', 'engineer', 'manager', 'supervisor')),
	phone TEXT NOT NULL DEFAULT '',
	pin_hash TEXT,
	card_hash TEXT UNIQUE,
	failures INTEGER NOT NULL DEFAULT 0,
	lockouts INTEGER NOT NULL DEFAULT 0,
	locked_until INTEGER NOT NULL DEFAULT 0
);
-- A key's custody state is kept apart from what the slot sensor says:
-- awaiting (registered, not yet put in its slot), in (in a slot, slot =
-- where), releasing (a release window is open), out (on loan), missing
-- (left a slot without a release), collected (the owner took it home).
CREATE TABLE keys (
	code TEXT PRIMARY KEY,
	unit TEXT NOT NULL REFERENCES units (code),
	kind TEXT NOT NULL CHECK (kind IN ('entrusted', 'sealed', 'vacant', 'repair')),
	home_slot TEXT NOT NULL UNIQUE,
	tag INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT 'in'
		CHECK (state IN ('awaiting', 'in', 'releasing', 'out', 'missing', 'collected')),
	slot TEXT
);
CREATE UNIQUE INDEX keys_tag ON keys (tag) WHERE tag != 0;

CREATE TABLE entrustments (
	id INTEGER PRIMARY KEY,
	owner TEXT NOT NULL REFERENCES owners (code),
	key TEXT NOT NULL REFERENCES keys (code),
	start_ms INTEGER NOT NULL,
	end_ms INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'collected', 'cancelled')),
	registered_by TEXT,
	closed_ms INTEGER,
	signature TEXT,
	CHECK (end_ms > start_ms)
);
CREATE UNIQUE INDEX entrustments_one_open ON entrustments (key) WHERE state = 'open';

-- Authorisation letters (委托书) and the owner's confirmation of them.
CREATE TABLE letters (
	id INTEGER PRIMARY KEY,
	entrustment INTEGER NOT NULL REFERENCES entrustments (id),
	borrower TEXT NOT NULL,
	id_type TEXT NOT NULL,
	id_hash TEXT NOT NULL,
	id_masked TEXT NOT NULL,
	valid_from INTEGER NOT NULL,
	valid_to INTEGER NOT NULL,
	reference TEXT NOT NULL,
	filed_by TEXT,
	filed_ms INTEGER NOT NULL,
	confirmed_by TEXT REFERENCES people (code),
	confirmed_ms INTEGER,
	channel TEXT CHECK (channel IN ('phone', 'in_person', 'wechat', 'sms')),
	CHECK (valid_to > valid_from)
);

-- A manager's approval for a sealed key, issued beforehand (method
-- 'issued') or given at the cabinet (method 'second_credential').
CREATE TABLE approvals (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL REFERENCES keys (code),
	manager TEXT NOT NULL REFERENCES people (code),
	method TEXT NOT NULL CHECK (method IN ('issued', 'second_credential')),
	valid_from INTEGER NOT NULL,
	valid_to INTEGER NOT NULL,
	created_ms INTEGER NOT NULL,
	used_loan INTEGER
);

-- A loan lives from the grant: granted (window open) -> out -> returned,
-- or granted -> not_taken, or granted -> collected (owner collection).
CREATE TABLE loans (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL REFERENCES keys (code),
	kind TEXT NOT NULL,
	purpose TEXT NOT NULL
		CHECK (purpose IN ('owner_collect', 'borrow', 'inspection', 'repair', 'emergency')),
	borrower TEXT NOT NULL,       -- person code, owner code, or the borrower's name
	borrower_type TEXT NOT NULL CHECK (borrower_type IN ('person', 'owner', 'borrower')),
	contact TEXT,
	signature TEXT,
	operator TEXT NOT NULL REFERENCES people (code),
	work_order TEXT,
	letter INTEGER REFERENCES letters (id),
	approval INTEGER REFERENCES approvals (id),
	due_ms INTEGER,
	slot TEXT NOT NULL,           -- the slot opened
	granted_ms INTEGER NOT NULL,
	window_ms INTEGER NOT NULL,
	out_ms INTEGER,
	in_ms INTEGER,
	return_slot TEXT,
	state TEXT NOT NULL CHECK (state IN ('granted', 'out', 'returned', 'not_taken', 'collected')),
	overdue INTEGER NOT NULL DEFAULT 0,
	inspection TEXT CHECK (inspection IN ('pending', 'recorded'))
);
CREATE UNIQUE INDEX loans_one_active ON loans (key) WHERE state IN ('granted', 'out');

-- IDs held at the desk while a borrower has a key (rule 3).
CREATE TABLE ids_held (
	loan INTEGER PRIMARY KEY REFERENCES loans (id),
	person TEXT NOT NULL,
	id_type TEXT NOT NULL,
	id_hash TEXT NOT NULL,
	id_masked TEXT NOT NULL,
	held_ms INTEGER NOT NULL,
	released_ms INTEGER,
	released_by TEXT
);

CREATE TABLE inspections (
	loan INTEGER PRIMARY KEY REFERENCES loans (id),
	unit TEXT NOT NULL,
	result TEXT NOT NULL CHECK (result IN ('ok', 'problems')),
	problems TEXT NOT NULL DEFAULT '',
	forwarded_to TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL,
	at_ms INTEGER NOT NULL
);

CREATE TABLE handovers (
	id INTEGER PRIMARY KEY,
	outgoing TEXT NOT NULL REFERENCES people (code),
	started_ms INTEGER NOT NULL,
	sheet TEXT NOT NULL,          -- JSON: keys_out, ids_held, alarms
	incoming TEXT REFERENCES people (code),
	confirmed_ms INTEGER,
	reviewer TEXT REFERENCES people (code),
	reviewed_ms INTEGER
);

CREATE TABLE alarms (
	id INTEGER PRIMARY KEY,
	type TEXT NOT NULL CHECK (type IN ('tamper', 'wrong_slot', 'overdue', 'fault')),
	key TEXT,
	slot TEXT,
	loan INTEGER,
	detail TEXT NOT NULL,
	raised_ms INTEGER NOT NULL,
	cleared_ms INTEGER,
	cleared_by TEXT
);

-- Entrustment notices sent to the audit service (which delivers them).
CREATE TABLE notices (
	id INTEGER PRIMARY KEY,
	entrustment INTEGER NOT NULL REFERENCES entrustments (id),
	stage TEXT NOT NULL CHECK (stage IN ('before_end', 'end', 'reminder')),
	at_ms INTEGER NOT NULL
);

-- Operator sessions: the token only as its SHA-256.
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	person TEXT NOT NULL REFERENCES people (code),
	created_ms INTEGER NOT NULL,
	last_ms INTEGER NOT NULL
);
