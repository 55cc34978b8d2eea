-- keyauditd audit database: notices through channels ([channel NAME] of
-- keyauditd.conf: webhook, WeCom group robot, Aliyun or Tencent Cloud SMS,
-- SMTP) to the recipients the [route] rules name. A delivery is one notice
-- to one recipient over one channel:
--   webhook    where it goes: the webhook's or the channel's URL
--   channel    the channel's name (NULL: a [notify] webhook)
--   recipient  who, as the pages may show it: a phone number masked
--              (138****5678), an address masked (m***@example.com), or
--              the channel's group ("-")
--   target     the rule's recipient: person (the notice's sealed phone
--              number), an e-mail address, or NULL
--   template   the gateway's template id (SMS), params its parameters
--              (JSON: [[name, value], ...], the values as the owner reads them)
--   out_id     this service's id of the message, sent to gateways that
--              keep one (Aliyun OutId, Tencent SessionContext), so an
--              unclear send is looked up, never sent twice
--   gateway_id the gateway's id of the message (Aliyun BizId, Tencent
--              SerialNo, the SMTP server's queue answer)
--   state      pending (queued), unclear (sent with no clear answer:
--              looked up before anything is sent again), sent (the
--              gateway took it), delivered (the gateway or the receiver
--              confirmed it), failed (refused, limited, or out of attempts)
-- Each attempt records the gateway's answer code and id.
CREATE TABLE deliveries_010 (
	id INTEGER PRIMARY KEY,
	notice_id INTEGER NOT NULL REFERENCES notices (id),
	webhook TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'unclear', 'sent', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_ms INTEGER NOT NULL,
	last_error TEXT,
	delivered_ms INTEGER,
	channel TEXT,
	recipient TEXT,
	target TEXT,
	params TEXT,
	template TEXT,
	out_id TEXT,
	gateway_id TEXT,
	sent_ms INTEGER
);
INSERT INTO deliveries_010 (id, notice_id, webhook, state, attempts, next_ms, last_error, delivered_ms)
	SELECT id, notice_id, webhook, state, attempts, next_ms, last_error, delivered_ms FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_010 RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (state, next_ms);
CREATE INDEX deliveries_notice ON deliveries (notice_id);
ALTER TABLE attempts ADD COLUMN answer TEXT;
ALTER TABLE attempts ADD COLUMN gateway_id TEXT;
