-- Top-N over an updating input; the rank number is not selected.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

SELECT page, player, clicks FROM (
  SELECT page, player, clicks, ROW_NUMBER() OVER (PARTITION BY page ORDER BY clicks DESC, player ASC) AS rn
  FROM (SELECT page, player, COUNT(*) AS clicks FROM clicks GROUP BY page, player))
WHERE rn <= 2;
