-- keycabd's local database: who last set a person's role, PIN or card and
-- when (rule 4's four eyes: an approver is never someone the operator
-- registered or who was registered during the operator's session), and the
-- check value of the key of ID and card hashes (the key itself is a file
-- outside the database). enrolled_by is null for the administrator at the
-- console and for people registered before this was recorded (enrolled_ms
-- 0). Times are wall-clock UTC milliseconds, like sessions'.
ALTER TABLE people ADD COLUMN enrolled_by TEXT;
ALTER TABLE people ADD COLUMN enrolled_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE hash_key (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	check_value TEXT NOT NULL
);
