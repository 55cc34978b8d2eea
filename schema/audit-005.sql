-- keyauditd audit database: the loan register and the inspector.
-- A loan keeps the register's contact (masked as the cabinet sent it) and
-- the reference of the borrower's signed confirmation (rule 2); an
-- inspection keeps its inspector, the engineer who borrowed the key
-- (actor stays the staff member who recorded it). Rows already stored are
-- filled from what their events say.
ALTER TABLE loans ADD COLUMN contact TEXT;
ALTER TABLE loans ADD COLUMN signature TEXT;
ALTER TABLE inspections ADD COLUMN inspector TEXT;
UPDATE loans SET contact = (SELECT json_extract(e.body, '$.data.contact') FROM events e
		WHERE e.cabinet = loans.cabinet AND e.type = 'release.granted'
		AND json_extract(e.body, '$.data.loan') = loans.loan),
	signature = (SELECT json_extract(e.body, '$.data.signature') FROM events e
		WHERE e.cabinet = loans.cabinet AND e.type = 'release.granted'
		AND json_extract(e.body, '$.data.loan') = loans.loan);
UPDATE inspections SET inspector = coalesce((SELECT e.person FROM events e
		WHERE e.cabinet = inspections.cabinet AND e.seq = inspections.seq),
	(SELECT l.person FROM loans l WHERE l.cabinet = inspections.cabinet AND l.loan = inspections.loan));
-- Handover reviews come from handover.reviewed events only (signed at the
-- cabinet); fill those of the events already stored.
UPDATE handovers SET reviewed_by = r.actor, reviewed_ms = r.ts_ms, review_note = r.note
	FROM (SELECT cabinet, actor, ts_ms, json_extract(body, '$.data.handover') AS handover,
		json_extract(body, '$.data.note') AS note FROM events
		WHERE type = 'handover.reviewed') r
	WHERE r.cabinet = handovers.cabinet AND r.handover = handovers.handover;
