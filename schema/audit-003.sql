-- keyauditd audit database, version 3: a loan can end in the owner's hands.
-- An owner collection (rule 8) is a release whose key never comes back;
-- collection.completed names its loan, which then leaves "keys out".
-- SQLite cannot change a CHECK in place, so the table is rebuilt.
CREATE TABLE loans_v3 (
	cabinet TEXT NOT NULL,
	loan INTEGER NOT NULL,
	key TEXT, kind TEXT, unit TEXT, site TEXT, slot TEXT,
	person TEXT, actor TEXT, purpose TEXT, work_order TEXT,
	out_ms INTEGER NOT NULL,
	due_ms INTEGER,
	state TEXT NOT NULL DEFAULT 'granted'
		CHECK (state IN ('granted', 'out', 'not_taken', 'returned', 'collected')),
	returned_ms INTEGER,
	overdue INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (cabinet, loan)
) WITHOUT ROWID;
INSERT INTO loans_v3 SELECT cabinet, loan, key, kind, unit, site, slot, person, actor, purpose,
	work_order, out_ms, due_ms, state, returned_ms, overdue FROM loans;
DROP TABLE loans;
ALTER TABLE loans_v3 RENAME TO loans;
CREATE INDEX loans_open ON loans (state, site);
CREATE INDEX loans_out ON loans (site, out_ms);
CREATE INDEX loans_insp ON loans (kind, purpose, out_ms, site, state, overdue, returned_ms, due_ms);
-- Loans already stored whose key an owner collected.
UPDATE loans SET state = 'collected'
	WHERE purpose = 'owner_collect' AND state = 'out';
