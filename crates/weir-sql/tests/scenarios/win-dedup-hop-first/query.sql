CREATE TABLE ev (user_id STRING, tag STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, tag STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, user_id, tag FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, user_id ORDER BY ts ASC) AS rn
  FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)))
WHERE rn = 1;
