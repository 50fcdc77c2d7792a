-- ROW_NUMBER over rowtime ASC, rn = 1: the first click of each player.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

SELECT player, page, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY player ORDER BY ts ASC) AS rn FROM clicks)
WHERE rn = 1;
