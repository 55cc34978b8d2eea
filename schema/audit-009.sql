-- keyauditd audit database: the language an account reads the console in
-- ("en"; NULL is Chinese, the console's default), set by its English/中文
-- toggle and used by every page, export and printable page.
ALTER TABLE users ADD COLUMN lang TEXT CHECK (lang IS NULL OR lang = 'en');
