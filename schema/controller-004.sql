-- keycabd's local database: an alarm's detail as a message code with its
-- parameters (JSON {"code", "params"}, common/msg.h), beside the English
-- text in detail, so a terminal says it in the desk's language. NULL for
-- alarms raised before it was recorded.
ALTER TABLE alarms ADD COLUMN detail_msg TEXT;
