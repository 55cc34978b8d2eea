-- keycabd's local database, version 2: acknowledged events are kept for a
-- while, and the audit link has an alarm of its own.
--
-- outbox.acked_ms: when the audit service acknowledged the event (NULL:
-- not yet). Acknowledged rows stay for the retention window ([forward]
-- keep_acked_events, keep_acked_days) so that a service restored from an
-- older backup can be sent them again; the forwarder prunes older ones.
ALTER TABLE outbox ADD COLUMN acked_ms INTEGER;
CREATE INDEX outbox_unacked ON outbox (seq) WHERE acked_ms IS NULL;
CREATE INDEX outbox_acked ON outbox (acked_ms) WHERE acked_ms IS NOT NULL;

-- An 'audit_link' alarm: the audit service refuses this cabinet's events
-- (a conflict, a gap, a chain break, an event too large), so forwarding is
-- stuck until someone acts. SQLite cannot change a CHECK in place, so the
-- table is rebuilt.
CREATE TABLE alarms_v2 (
	id INTEGER PRIMARY KEY,
	type TEXT NOT NULL CHECK (type IN ('tamper', 'wrong_slot', 'overdue', 'fault', 'audit_link')),
	key TEXT,
	slot TEXT,
	loan INTEGER,
	detail TEXT NOT NULL,
	raised_ms INTEGER NOT NULL,
	cleared_ms INTEGER,
	cleared_by TEXT
);
INSERT INTO alarms_v2 SELECT id, type, key, slot, loan, detail, raised_ms, cleared_ms, cleared_by FROM alarms;
DROP TABLE alarms;
ALTER TABLE alarms_v2 RENAME TO alarms;
