-- Cumulating windows per region (NULL region is its own group).
CREATE TABLE visits (
  region STRING, user_id STRING, amount INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), region STRING, users BIGINT, total INT,
  lo INT, mean INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, region, COUNT(DISTINCT user_id), SUM(amount), MIN(amount), AVG(amount)
FROM TABLE(CUMULATE(TABLE visits, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY window_start, window_end, region;
