-- keyauditd audit database: when each cabinet last reached the service
-- (any batch, an empty one too: the link's heartbeat), for the alarm of a
-- cabinet gone silent (ingest_alarms kind 'offline', service/cabinet_watch.c).
ALTER TABLE cabinets ADD COLUMN last_contact_ms INTEGER;
UPDATE cabinets SET last_contact_ms = last_seen_ms;
-- an offline alarm's silence began at its cabinet's last contact
ALTER TABLE ingest_alarms ADD COLUMN since_ms INTEGER;
-- a phone number sealed at the cabinet to the office's notice key
-- (base64 crypto_box_seal; only the notifier opens it): the owner's of an
-- entrustment, the borrower's of a loan
ALTER TABLE entrustments ADD COLUMN phone_sealed TEXT;
ALTER TABLE loans ADD COLUMN phone_sealed TEXT;
