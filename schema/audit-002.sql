-- keyauditd audit database, version 2: indexes for the vacant-unit report
-- on a large log (bench/service-reports): inspections by unit and month,
-- problems by month, and inspection loans by the time they went out
-- (covering what the report reads, so the month's loans are read from the
-- index alone).
CREATE INDEX inspections_unit ON inspections (site, unit, ts_ms);
CREATE INDEX inspections_ts ON inspections (ts_ms);
CREATE INDEX inspections_problems ON inspections (ts_ms) WHERE result = 'problems';
CREATE INDEX loans_insp ON loans (kind, purpose, out_ms, site, state, overdue, returned_ms, due_ms);
