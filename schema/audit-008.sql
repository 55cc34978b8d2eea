-- keyauditd audit database: office accounts managed in the console.
-- A disabled account (disabled_ms set) cannot sign in, and its sessions
-- are ended when it is disabled. An account with rows in user_sites reads
-- those sites only (its scope); one without reads every site.
ALTER TABLE users ADD COLUMN disabled_ms INTEGER;
CREATE TABLE user_sites (
	user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	site TEXT NOT NULL,
	PRIMARY KEY (user, site)
) WITHOUT ROWID;
-- One-time password reset codes, kept as their SHA-256 only: a code sets
-- a new password once, before expires_ms; used_ms marks it spent.
CREATE TABLE reset_codes (
	code_hash TEXT PRIMARY KEY,
	user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
	issued_by TEXT NOT NULL,
	expires_ms INTEGER NOT NULL,
	used_ms INTEGER
);
CREATE INDEX reset_codes_user ON reset_codes (user);
