-- keyauditd audit database: the office chain, reviews signed at the
-- office, and the follow-up of problems found in inspections.
--
-- What the office itself does is an event of the office chain, sealed by
-- keyauditd (service/office.c) and stored like a cabinet's events under
-- the chain id '@office' (no cabinet id holds '@'). Its row in cabinets
-- holds its head; its token_hash is no SHA-256, so no bearer token is
-- ever that chain's.
INSERT INTO cabinets (id, token_hash, created_ms)
	VALUES ('@office', 'none: sealed by keyauditd itself', CAST(strftime('%s', 'now') AS INTEGER) * 1000);

-- Where a handover's review was signed: 'cabinet' (handover.reviewed) or
-- 'office' (office.handover_reviewed). A handover is reviewed once: the
-- first review to arrive is the one kept.
ALTER TABLE handovers ADD COLUMN reviewed_at TEXT CHECK (reviewed_at IN ('cabinet', 'office'));
UPDATE handovers SET reviewed_at = 'cabinet' WHERE reviewed_ms IS NOT NULL;

-- A problem is an inspection that found problems (inspections: its
-- cabinet and seq); its follow-up at the office (rule 5) is kept here:
-- forwarded to a department and a person (office.problem_forwarded),
-- resolved with a note (office.problem_resolved), each with who and when.
-- Without a row it is open, or forwarded when the cabinet recorded a
-- department (inspections.forwarded_to).
CREATE TABLE problems (
	cabinet TEXT NOT NULL,
	seq INTEGER NOT NULL,
	department TEXT NOT NULL CHECK (department <> ''),
	forwarded_to TEXT,
	forwarded_by TEXT,
	forwarded_ms INTEGER,
	resolved_by TEXT,
	resolved_ms INTEGER,
	resolution TEXT,
	PRIMARY KEY (cabinet, seq)
) WITHOUT ROWID;
