CREATE TABLE accounts (id INT, name STRING, tier STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/accounts.jsonl', 'format' = 'json');
CREATE TABLE subs (id INT, plan STRING, price INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/subs.jsonl', 'format' = 'json');

CREATE VIEW a AS SELECT id, name, tier FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) AS rn FROM accounts) WHERE rn = 1;
CREATE VIEW s AS SELECT id, plan, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY ts DESC) AS rn FROM subs) WHERE rn = 1;

SELECT a.tier, s.plan, COUNT(*) AS accounts, SUM(s.price) AS revenue
FROM a JOIN s ON a.id = s.id
GROUP BY a.tier, s.plan;
