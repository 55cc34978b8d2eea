-- keyauditd audit database: the estate's change feed (service/feed.c).
-- The office keeps, for each managed cabinet, a sequenced list of changes
-- to its estate (people, sites, units, keys, settings, approvals);
-- keycab-forward on the cabinet fetches them (GET /api/v1/feed) and
-- applies them through keycabd, whose estate.applied / estate.refused
-- event comes back through the ingest and marks the change here.
--
-- cabinets.mode: 'managed' (the office runs its estate, it gets a feed) or
-- 'standalone' (administered at the cabinet; the office sends it nothing).
-- feed_position: the change number the cabinet last said it had applied
-- (the `after` of its last poll), feed_position_ms when it said so.
ALTER TABLE cabinets ADD COLUMN mode TEXT NOT NULL DEFAULT 'standalone'
	CHECK (mode IN ('managed', 'standalone'));
ALTER TABLE cabinets ADD COLUMN feed_position INTEGER;
ALTER TABLE cabinets ADD COLUMN feed_position_ms INTEGER;

-- One change for one cabinet. change: 1, 2, 3... per cabinet, no gaps.
--   id         the order changes were made in, over all cabinets: a
--              poll's waiter learns what another process added since it
--              last looked from max(id) (service/http_feed.c)
--   type       the change's type (site.set, unit.set, key.set, ...)
--   data       its JSON object, as the cabinet receives it
--   made_ms    when the office made it, made_by the office account
--   state      pending (not yet reported applied), applied, refused
--   applied_ms the cabinet's event's time (ts) when applied or refused,
--   event_seq  that event's seq in the cabinet's chain
--   code       a refusal's message code, params its parameters (JSON)
CREATE TABLE feed (
	id INTEGER PRIMARY KEY,
	cabinet TEXT NOT NULL REFERENCES cabinets (id),
	change INTEGER NOT NULL CHECK (change > 0),
	type TEXT NOT NULL,
	data TEXT NOT NULL,
	made_ms INTEGER NOT NULL,
	made_by TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'refused')),
	applied_ms INTEGER,
	event_seq INTEGER,
	code TEXT,
	params TEXT,
	UNIQUE (cabinet, change)
);
CREATE INDEX feed_state ON feed (cabinet, state, change);

-- The sites a cabinet serves, as the office sees it: where a change of a
-- site's people, units, keys or settings goes.
CREATE TABLE cabinet_sites (
	cabinet TEXT NOT NULL REFERENCES cabinets (id),
	site TEXT NOT NULL,
	PRIMARY KEY (cabinet, site)
) WITHOUT ROWID;
CREATE INDEX cabinet_sites_site ON cabinet_sites (site, cabinet);
