-- keycabd's local database: a board that stops answering is one fault
-- alarm naming its board (alarms.board), not one per slot; the slots in
-- fault until the board answers again, each with the board it sits on.
ALTER TABLE alarms ADD COLUMN board TEXT;
CREATE TABLE slot_faults (
	slot TEXT PRIMARY KEY,
	board TEXT NOT NULL,
	since_ms INTEGER NOT NULL
);
-- the slots of the fault alarms open now (one alarm each): in fault until
-- they answer again
INSERT OR IGNORE INTO slot_faults (slot, board, since_ms)
	SELECT slot, '', raised_ms FROM alarms WHERE type = 'fault' AND slot IS NOT NULL AND cleared_ms IS NULL;
