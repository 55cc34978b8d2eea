-- keyauditd audit database: the key log's person filter. A person's
-- events are those naming them as person or as actor (the operator); with
-- an index on each, a filter reads that person's events only, however
-- few, instead of walking the log in time order until enough match.
CREATE INDEX events_actor ON events (actor, ts_ms) WHERE actor IS NOT NULL;
