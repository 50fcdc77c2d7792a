CREATE TABLE profiles (user_id STRING, city STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/profiles.jsonl', 'format' = 'json');
CREATE TABLE orders (oid INT, user_id STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE VIEW latest_profile AS
SELECT user_id, city FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY ts DESC) AS rn FROM profiles)
WHERE rn = 1;

CREATE VIEW enriched AS
SELECT o.oid, o.amount, p.city
FROM orders o LEFT JOIN latest_profile p ON o.user_id = p.user_id;

SELECT city, COUNT(*) AS orders, SUM(amount) AS amount, MAX(oid) AS last_oid
FROM enriched GROUP BY city;
