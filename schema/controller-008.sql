-- keycabd's local database: a manager's approval asked for at the terminal
-- and given (or refused) from the office (controller/estate_approval.c).
--
-- approval_requests: one row per `approval.ask`: the sealed key, the clerk
-- who asks (asker), the manager named, why, when. state: pending until the
-- office's answer comes through the feed (`approval.grant` -> granted, with
-- the approval row it made; `approval.refuse` -> refused, with the
-- manager's reason), or cancelled by the asker at the terminal.
CREATE TABLE approval_requests (
	id INTEGER PRIMARY KEY,
	key TEXT NOT NULL REFERENCES keys (code),
	asker TEXT NOT NULL REFERENCES people (code),
	manager TEXT NOT NULL REFERENCES people (code),
	reason TEXT NOT NULL,
	asked_ms INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'granted', 'refused', 'cancelled')),
	answered_ms INTEGER,
	refusal TEXT,
	approval INTEGER REFERENCES approvals (id)
);
CREATE INDEX approval_requests_pending ON approval_requests (asker) WHERE state = 'pending';

-- approvals: method 'remote', an approval given from the office for one
-- request; request and asker name them, and only the asker releases the
-- key with it. SQLite cannot change a CHECK in place and loans refer to
-- approvals, so the column is replaced rather than the table rebuilt (a
-- column's own CHECK goes with it).
ALTER TABLE approvals ADD COLUMN method_v8 TEXT NOT NULL DEFAULT 'issued'
	CHECK (method_v8 IN ('issued', 'second_credential', 'remote'));
UPDATE approvals SET method_v8 = method;
ALTER TABLE approvals DROP COLUMN method;
ALTER TABLE approvals RENAME COLUMN method_v8 TO method;
ALTER TABLE approvals ADD COLUMN request INTEGER REFERENCES approval_requests (id);
ALTER TABLE approvals ADD COLUMN asker TEXT;
