-- keyauditd audit database, version 4: chain epochs and coalesced ingest
-- alarms.
--
-- A cabinet whose database was lost (its chain starts again at 1) or
-- restored from an older backup (its chain forks from the stored one)
-- gets a new chain epoch from the admin (keyauditd new-epoch CABINET).
-- cabinets.epoch is the current one; anchor_seq/anchor_prev are where its
-- chain starts (epoch 1: event 1 after the genesis hash); anchor_seq is
-- NULL while a new epoch waits for its first event, which anchors it.
-- Events of epoch 1 are stored under the cabinet's id, those of epoch N
-- under "<id>~N" (a '~' is never in a cabinet id), in the events table and
-- the derived tables alike, so both chains are kept and verify.
ALTER TABLE cabinets ADD COLUMN epoch INTEGER NOT NULL DEFAULT 1;
ALTER TABLE cabinets ADD COLUMN anchor_seq INTEGER DEFAULT 1;
ALTER TABLE cabinets ADD COLUMN anchor_prev TEXT NOT NULL
	DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
-- The epochs a cabinet has left, each with its anchor and final head.
CREATE TABLE chain_epochs (
	cabinet TEXT NOT NULL,
	epoch INTEGER NOT NULL,
	chain TEXT NOT NULL UNIQUE,	-- the key its events are stored under
	anchor_seq INTEGER NOT NULL,
	anchor_prev TEXT NOT NULL,
	last_seq INTEGER NOT NULL,
	last_hash TEXT NOT NULL,
	ended_ms INTEGER NOT NULL,
	PRIMARY KEY (cabinet, epoch)
) WITHOUT ROWID;

-- Ingest alarms: one open alarm per cabinet and kind; a repeat while it
-- is open counts on it (repeats, last_seq, last_ms) instead of raising
-- another. A gap, chain break or conflict is cleared when the cabinet's
-- events are stored again. The table is rebuilt to drop the old
-- UNIQUE (cabinet, kind, seq).
CREATE TABLE ingest_alarms_v4 (
	id INTEGER PRIMARY KEY,
	cabinet TEXT NOT NULL,
	kind TEXT NOT NULL,
	seq INTEGER NOT NULL,
	message TEXT NOT NULL,
	raised_ms INTEGER NOT NULL,
	repeats INTEGER NOT NULL DEFAULT 0,
	last_seq INTEGER,
	last_ms INTEGER,
	cleared_ms INTEGER
);
INSERT INTO ingest_alarms_v4 (id, cabinet, kind, seq, message, raised_ms, last_seq, last_ms)
	SELECT id, cabinet, kind, seq, message, raised_ms, seq, raised_ms FROM ingest_alarms;
DROP TABLE ingest_alarms;
ALTER TABLE ingest_alarms_v4 RENAME TO ingest_alarms;
CREATE INDEX ingest_alarms_open ON ingest_alarms (cabinet, kind) WHERE cleared_ms IS NULL;
