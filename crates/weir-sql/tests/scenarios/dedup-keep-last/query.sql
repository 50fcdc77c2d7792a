-- ROW_NUMBER over rowtime DESC, rn = 1: the last click of each player on each page.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

SELECT player, page, ms, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY player, page ORDER BY ts DESC) AS rn FROM clicks)
WHERE rn = 1;
