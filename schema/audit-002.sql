-- keyauditd audit database, version 2: indexes for the vacant-unit report
-- on a large log (bench/service-reports): inspections by unit and month,
-- and inspection loans by the time they went out.
CREATE INDEX inspections_unit ON inspections (site, unit, ts_ms);
CREATE INDEX inspections_ts ON inspections (ts_ms);
CREATE INDEX loans_kind_out ON loans (kind, purpose, out_ms);
