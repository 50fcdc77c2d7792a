-- Semi and anti joins from subqueries, as a changelog: users who bought something
-- (EXISTS) appear when their first purchase arrives, once however many follow; users who
-- never bought (NOT EXISTS) appear at once and are retracted when a purchase arrives.
-- NULL keys match nothing, so the NULL user stays among those who never bought.
CREATE TABLE users (
  uid INT,
  name STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/users.jsonl', 'format' = 'json');

CREATE TABLE events (
  uid INT,
  kind STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

SELECT 'buyer' AS tag, u.uid, u.name FROM users AS u
WHERE EXISTS (SELECT 1 FROM events AS e WHERE e.uid = u.uid AND e.kind = 'buy')
UNION ALL
SELECT 'never', u.uid, u.name FROM users AS u
WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.uid = u.uid AND e.kind = 'buy')
UNION ALL
SELECT 'viewer', u.uid, u.name FROM users AS u
WHERE u.uid IN (SELECT e.uid FROM events AS e WHERE e.kind = 'view');
