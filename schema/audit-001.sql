-- keyauditd audit database, version 1.
-- Applied by service/store.c inside one transaction; PRAGMA user_version
-- records the version (see schema/audit-*.sql for the migrations).

-- Cabinets the service accepts events from; the bearer token is kept as
-- its SHA-256 only. last_seq/last_hash: the head of the stored chain.
CREATE TABLE cabinets (
	id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	created_ms INTEGER NOT NULL,
	last_seq INTEGER NOT NULL DEFAULT 0,
	last_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
	last_seen_ms INTEGER
);

-- Every event once, keyed by cabinet and seq. body is the canonical form
-- (without "hash"), exactly as hashed; the columns are extracted from it.
CREATE TABLE events (
	cabinet TEXT NOT NULL,
	seq INTEGER NOT NULL,
	ts_ms INTEGER NOT NULL,
	type TEXT NOT NULL,
	actor TEXT, person TEXT, key TEXT, kind TEXT, unit TEXT, site TEXT, slot TEXT,
	prev TEXT NOT NULL,
	hash TEXT NOT NULL,
	body TEXT NOT NULL,
	received_ms INTEGER NOT NULL,
	PRIMARY KEY (cabinet, seq)
) WITHOUT ROWID;
CREATE INDEX events_ts ON events (ts_ms);
CREATE INDEX events_key ON events (key, ts_ms) WHERE key IS NOT NULL;
CREATE INDEX events_unit ON events (unit, ts_ms) WHERE unit IS NOT NULL;
CREATE INDEX events_person ON events (person, ts_ms) WHERE person IS NOT NULL;
CREATE INDEX events_site ON events (site, ts_ms);
CREATE INDEX events_type ON events (type, ts_ms);
CREATE INDEX events_kind ON events (kind, ts_ms) WHERE kind IS NOT NULL;

-- Derived tables, kept in the same transaction as the event insert.
CREATE TABLE sites (
	site TEXT PRIMARY KEY,
	name TEXT,
	age TEXT NOT NULL CHECK (age IN ('new', 'old'))
);
CREATE TABLE units (
	site TEXT NOT NULL,
	unit TEXT NOT NULL,
	building TEXT, room TEXT,
	vacant INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site, unit)
) WITHOUT ROWID;
-- Vacancy intervals [from_ms, to_ms); to_ms NULL while still vacant.
CREATE TABLE vacancies (
	site TEXT NOT NULL,
	unit TEXT NOT NULL,
	from_ms INTEGER NOT NULL,
	to_ms INTEGER,
	PRIMARY KEY (site, unit, from_ms)
) WITHOUT ROWID;
CREATE INDEX vacancies_open ON vacancies (site, to_ms);
CREATE TABLE keys (
	cabinet TEXT NOT NULL,
	key TEXT NOT NULL,
	kind TEXT, unit TEXT, site TEXT, slot TEXT,
	PRIMARY KEY (cabinet, key)
) WITHOUT ROWID;
CREATE TABLE loans (
	cabinet TEXT NOT NULL,
	loan INTEGER NOT NULL,
	key TEXT, kind TEXT, unit TEXT, site TEXT, slot TEXT,
	person TEXT, actor TEXT, purpose TEXT, work_order TEXT,
	out_ms INTEGER NOT NULL,
	due_ms INTEGER,
	state TEXT NOT NULL DEFAULT 'granted' CHECK (state IN ('granted', 'out', 'not_taken', 'returned')),
	returned_ms INTEGER,
	overdue INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (cabinet, loan)
) WITHOUT ROWID;
CREATE INDEX loans_open ON loans (state, site);
CREATE INDEX loans_out ON loans (site, out_ms);
CREATE TABLE ids_held (
	cabinet TEXT NOT NULL,
	loan INTEGER NOT NULL,
	person TEXT, key TEXT, site TEXT,
	id_type TEXT, id_masked TEXT,
	held_ms INTEGER NOT NULL,
	released_ms INTEGER,
	PRIMARY KEY (cabinet, loan)
) WITHOUT ROWID;
CREATE TABLE alarms (
	cabinet TEXT NOT NULL,
	alarm INTEGER NOT NULL,
	alarm_type TEXT, key TEXT, slot TEXT, unit TEXT, site TEXT, person TEXT, detail TEXT,
	raised_ms INTEGER NOT NULL,
	cleared_ms INTEGER, cleared_by TEXT,
	PRIMARY KEY (cabinet, alarm)
) WITHOUT ROWID;
-- Alarms the service itself raises: a refused batch (gap, chain break,
-- conflicting replay). One per cabinet, kind and seq.
CREATE TABLE ingest_alarms (
	id INTEGER PRIMARY KEY,
	cabinet TEXT NOT NULL,
	kind TEXT NOT NULL,
	seq INTEGER NOT NULL,
	message TEXT NOT NULL,
	raised_ms INTEGER NOT NULL,
	UNIQUE (cabinet, kind, seq)
);
CREATE TABLE entrustments (
	cabinet TEXT NOT NULL,
	entrustment INTEGER NOT NULL,
	key TEXT, unit TEXT, site TEXT,
	owner TEXT, owner_name TEXT, owner_phone TEXT,
	start_ms INTEGER, end_ms INTEGER,
	closed_ms INTEGER, close_reason TEXT,
	PRIMARY KEY (cabinet, entrustment)
) WITHOUT ROWID;
CREATE INDEX entrustments_end ON entrustments (end_ms);
CREATE TABLE inspections (
	cabinet TEXT NOT NULL,
	seq INTEGER NOT NULL,
	loan INTEGER,
	ts_ms INTEGER NOT NULL,
	key TEXT, unit TEXT, site TEXT, actor TEXT,
	result TEXT, problems TEXT, forwarded_to TEXT,
	PRIMARY KEY (cabinet, seq)
) WITHOUT ROWID;
CREATE INDEX inspections_site ON inspections (site, ts_ms);
CREATE TABLE handovers (
	cabinet TEXT NOT NULL,
	handover INTEGER NOT NULL,
	outgoing TEXT,
	started_ms INTEGER NOT NULL,
	keys_out TEXT, ids_held TEXT, alarms TEXT,
	incoming TEXT, confirmed_ms INTEGER,
	reviewed_by TEXT, reviewed_ms INTEGER, review_note TEXT,
	PRIMARY KEY (cabinet, handover)
) WITHOUT ROWID;

-- Notices: one per notice-worthy event, one delivery per webhook, every
-- attempt recorded.
CREATE TABLE notices (
	id INTEGER PRIMARY KEY,
	cabinet TEXT NOT NULL,
	seq INTEGER NOT NULL,
	type TEXT NOT NULL,
	notice INTEGER, entrustment INTEGER, stage TEXT,
	key TEXT, unit TEXT, site TEXT, person TEXT,
	created_ms INTEGER NOT NULL,
	payload TEXT NOT NULL,
	text_zh TEXT NOT NULL,
	text_en TEXT NOT NULL,
	UNIQUE (cabinet, seq, type)
);
CREATE INDEX notices_entrustment ON notices (cabinet, entrustment);
CREATE TABLE deliveries (
	id INTEGER PRIMARY KEY,
	notice_id INTEGER NOT NULL REFERENCES notices (id),
	webhook TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_ms INTEGER NOT NULL,
	last_error TEXT,
	delivered_ms INTEGER
);
CREATE INDEX deliveries_due ON deliveries (state, next_ms);
CREATE INDEX deliveries_notice ON deliveries (notice_id);
CREATE TABLE attempts (
	id INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
	at_ms INTEGER NOT NULL,
	http_status INTEGER,
	error TEXT
);
CREATE INDEX attempts_delivery ON attempts (delivery_id);

-- People who read the reports.
CREATE TABLE users (
	name TEXT PRIMARY KEY,
	role TEXT NOT NULL CHECK (role IN ('supervisor', 'admin')),
	pw_hash TEXT NOT NULL,
	created_ms INTEGER NOT NULL
);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	expires_ms INTEGER NOT NULL
);
