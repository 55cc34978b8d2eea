-- keyauditd audit database: the estate as the office manages it
-- (service/estate.c): its people, sites, units, keys and each site's
-- custody settings, the master rows each change to a cabinet's feed is
-- made from. The report tables (sites, units, keys, ...) stay what the
-- cabinets' events derive; these are what the office says they should be.
-- Seeded from what the cabinets' events already told the office, so an
-- estate registered at its cabinets shows its data at once.
CREATE TABLE estate_sites (
	site TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	age TEXT NOT NULL CHECK (age IN ('new', 'old')),
	time_zone TEXT,			-- IANA; NULL: the office's [server] time_zone
	updated_ms INTEGER NOT NULL,
	updated_by TEXT			-- the office account; NULL: seeded from events
);
-- a unit code names one unit of the estate (a key's change names its unit only)
CREATE TABLE estate_units (
	unit TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	building TEXT NOT NULL DEFAULT '',
	room TEXT NOT NULL DEFAULT '',
	vacant INTEGER NOT NULL DEFAULT 0,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT
);
CREATE INDEX estate_units_site ON estate_units (site, building, room);
-- each save of a unit: its vacancy and place as they became
CREATE TABLE estate_unit_history (
	id INTEGER PRIMARY KEY,
	unit TEXT NOT NULL,
	site TEXT NOT NULL,
	building TEXT NOT NULL, room TEXT NOT NULL,
	vacant INTEGER NOT NULL,
	at_ms INTEGER NOT NULL,
	by TEXT
);
CREATE INDEX estate_unit_history_unit ON estate_unit_history (unit, at_ms);
CREATE TABLE estate_keys (
	key TEXT PRIMARY KEY,
	unit TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('entrusted', 'sealed', 'vacant', 'repair')),
	cabinet TEXT NOT NULL,
	slot TEXT NOT NULL,
	tag INTEGER NOT NULL DEFAULT 0,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT
);
CREATE INDEX estate_keys_unit ON estate_keys (unit);
CREATE INDEX estate_keys_cabinet ON estate_keys (cabinet, slot);
-- staff, engineers, managers and supervisors of the cabinets (owners stay
-- the cabinets' own). The phone as the office keeps phones: masked, and
-- sealed to the notice key when the office has one; a card as the keyed
-- hash of the estate's card key and its masked form; an enrolment code as
-- its SHA-256 until it expires.
CREATE TABLE estate_people (
	person TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('staff', 'engineer', 'manager', 'supervisor')),
	phone_masked TEXT NOT NULL DEFAULT '',
	phone_sealed TEXT,
	department TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1,
	card_hash TEXT UNIQUE,
	card_masked TEXT,
	enrolled_by TEXT,
	enrol_hash TEXT,
	enrol_until_ms INTEGER,
	created_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT
);
CREATE TABLE estate_person_sites (
	person TEXT NOT NULL,
	site TEXT NOT NULL,
	PRIMARY KEY (person, site)
) WITHOUT ROWID;
CREATE INDEX estate_person_sites_site ON estate_person_sites (site);
-- settings.set's data of a site, as JSON
CREATE TABLE estate_settings (
	site TEXT PRIMARY KEY,
	data TEXT NOT NULL,
	updated_ms INTEGER NOT NULL,
	updated_by TEXT
);

-- the seed: what the cabinets' events registered
INSERT OR IGNORE INTO estate_sites (site, name, age, updated_ms)
	SELECT site, coalesce(name, site), age, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM sites;
INSERT OR IGNORE INTO estate_units (unit, site, building, room, vacant, updated_ms)
	SELECT unit, site, coalesce(building, ''), coalesce(room, ''), vacant, CAST(strftime('%s', 'now') AS INTEGER) * 1000
	FROM units WHERE site IN (SELECT site FROM estate_sites) ORDER BY site;
INSERT INTO estate_unit_history (unit, site, building, room, vacant, at_ms)
	SELECT unit, site, building, room, vacant, updated_ms FROM estate_units;
-- a cabinet by its id, whatever its chain's epoch ("C1~2")
INSERT OR IGNORE INTO estate_keys (key, unit, kind, cabinet, slot, tag, updated_ms)
	SELECT k.key, k.unit, k.kind, (CASE WHEN instr(k.cabinet, '~') THEN substr(k.cabinet, 1, instr(k.cabinet, '~') - 1) ELSE k.cabinet END), k.slot,
	       coalesce((SELECT json_extract(e.body, '$.data.tag') FROM events e WHERE e.key = k.key
			 AND e.cabinet = k.cabinet AND e.type = 'key.registered' ORDER BY e.ts_ms DESC LIMIT 1), 0),
	       CAST(strftime('%s', 'now') AS INTEGER) * 1000
	FROM keys k WHERE k.unit IN (SELECT unit FROM estate_units) AND k.slot IS NOT NULL
	AND k.kind IN ('entrusted', 'sealed', 'vacant', 'repair') ORDER BY k.cabinet;
INSERT OR IGNORE INTO cabinet_sites (cabinet, site)
	SELECT c, site FROM (SELECT DISTINCT (CASE WHEN instr(cabinet, '~') THEN substr(cabinet, 1, instr(cabinet, '~') - 1) ELSE cabinet END) AS c, site FROM keys WHERE site IN (SELECT site FROM estate_sites)
	UNION SELECT DISTINCT (CASE WHEN instr(cabinet, '~') THEN substr(cabinet, 1, instr(cabinet, '~') - 1) ELSE cabinet END), site FROM events WHERE type = 'site.registered'
	AND site IN (SELECT site FROM estate_sites)) WHERE c IN (SELECT id FROM cabinets);
-- a person's latest registration wins (the newest is inserted first)
INSERT OR IGNORE INTO estate_people (person, name, role, phone_masked, phone_sealed, department, created_ms, updated_ms)
	SELECT e.person, coalesce(json_extract(e.body, '$.data.name'), e.person), json_extract(e.body, '$.data.role'),
	       coalesce(json_extract(e.body, '$.data.phone_masked'), ''), json_extract(e.body, '$.data.phone_sealed'),
	       coalesce(json_extract(e.body, '$.data.department'), ''), e.ts_ms, e.ts_ms
	FROM events e WHERE e.type = 'person.registered' AND e.person IS NOT NULL
	AND json_extract(e.body, '$.data.role') IN ('staff', 'engineer', 'manager', 'supervisor')
	ORDER BY e.ts_ms DESC;
INSERT OR IGNORE INTO estate_person_sites (person, site)
	SELECT DISTINCT e.person, c.site FROM events e JOIN cabinet_sites c ON c.cabinet = (CASE WHEN instr(e.cabinet, '~') THEN substr(e.cabinet, 1, instr(e.cabinet, '~') - 1) ELSE e.cabinet END)
	WHERE e.type = 'person.registered' AND e.person IN (SELECT person FROM estate_people);
