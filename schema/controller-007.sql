-- keycabd's local database: the estate managed from the office
-- (controller/estate.c). estate_position: the last change of the office's
-- feed applied or refused, moved in the same transaction as the change and
-- its event, so each change is applied once. people.active: 0 for a person
-- the office deactivated (no login, off the roster); card_masked: the
-- masked form of the card the office set; enrol_code_hash and enrol_until:
-- a one-time enrolment code's SHA-256 (lower-case hex) and the end of its
-- validity (0: none), with which the person sets a PIN at the terminal.
-- sites.time_zone: the site's IANA zone as the office set it ('' unknown).
-- site_settings: a site's custody settings as the office set them (JSON:
-- max_loan, due_presets, notice_lead_s, notice_reminder_s, phrases).
CREATE TABLE estate_position (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	position INTEGER NOT NULL,
	at_ms INTEGER NOT NULL
);
INSERT INTO estate_position (id, position, at_ms) VALUES (1, 0, 0);
ALTER TABLE people ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
ALTER TABLE people ADD COLUMN card_masked TEXT;
ALTER TABLE people ADD COLUMN enrol_code_hash TEXT;
ALTER TABLE people ADD COLUMN enrol_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
CREATE TABLE site_settings (
	site TEXT PRIMARY KEY REFERENCES sites (code),
	body TEXT NOT NULL,
	set_ms INTEGER NOT NULL
);
