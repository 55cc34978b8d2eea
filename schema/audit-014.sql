-- keyauditd audit database: a manager's approval asked for at a cabinet's
-- terminal and answered from the office (service/approvals.c).
--
-- users.role gains 'manager': an office account that answers the approval
-- requests addressed to the cabinet person it is linked to (users.person,
-- a person code on the cabinets; NULL for none). SQLite cannot change a
-- CHECK in place and sessions, user_sites and reset_codes refer to users,
-- so the column is replaced rather than the table rebuilt.
ALTER TABLE users ADD COLUMN role_v14 TEXT NOT NULL DEFAULT 'supervisor'
	CHECK (role_v14 IN ('supervisor', 'admin', 'manager'));
UPDATE users SET role_v14 = role;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users RENAME COLUMN role_v14 TO role;
ALTER TABLE users ADD COLUMN person TEXT;

-- approval_requests: derived from the cabinets' approval.asked (one row
-- per cabinet and request), approval.cancelled, and the office's own
-- office.approval_granted / office.approval_refused. asker, manager:
-- person codes; answered_by: the office account; valid_to_ms: the
-- approval's end ([estate] approval_valid after the answer).
CREATE TABLE approval_requests (
	cabinet TEXT NOT NULL,
	request INTEGER NOT NULL,
	asked_ms INTEGER NOT NULL,
	asker TEXT NOT NULL,
	manager TEXT NOT NULL,
	key TEXT,
	unit TEXT,
	site TEXT,
	reason TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'granted', 'refused', 'cancelled')),
	answered_by TEXT,
	answered_ms INTEGER,
	valid_to_ms INTEGER,
	refusal TEXT,
	PRIMARY KEY (cabinet, request)
) WITHOUT ROWID;
CREATE INDEX approval_requests_manager ON approval_requests (manager, state, asked_ms);
