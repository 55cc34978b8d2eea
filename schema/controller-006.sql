-- keycabd's local database: a person's department (工程部, 客服部), '' for
-- none; person.registered carries it, and keyauditd sends an overdue
-- loan's notice to the department's group.
ALTER TABLE people ADD COLUMN department TEXT NOT NULL DEFAULT '';
