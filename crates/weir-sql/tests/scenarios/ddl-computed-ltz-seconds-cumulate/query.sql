-- Rowtime from epoch seconds: TO_TIMESTAMP_LTZ(sec, 0) as a computed column with a 3 s
-- watermark; a computed day string; CUMULATE windows of 10 s steps over 30 s.
CREATE TABLE ev (
  k STRING,
  sec BIGINT,
  v INT,
  ts AS TO_TIMESTAMP_LTZ(sec, 0),
  day_str AS DATE_FORMAT(TO_TIMESTAMP_LTZ(sec, 0), 'yyyy-MM-dd'),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, day_str STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  window_time TIMESTAMP_LTZ(3), n BIGINT, s INT, mx BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, day_str, window_start, window_end, window_time, COUNT(v), SUM(v), MAX(sec)
FROM TABLE(CUMULATE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '30' SECOND))
GROUP BY k, day_str, window_start, window_end, window_time;
