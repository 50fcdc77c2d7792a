-- Window deduplication straight over a window TVF.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), player STRING, page STRING, ts TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, player, page, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, player ORDER BY ts DESC) AS rn
  FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE rn = 1;
