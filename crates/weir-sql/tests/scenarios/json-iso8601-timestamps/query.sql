-- 'json.timestamp-format.standard' = 'ISO-8601' on source and sink: TIMESTAMP and
-- TIMESTAMP_LTZ read from ISO text ('T', 'Z'), written back inside a ROW (so the sink's text
-- is compared) and as top-level columns; a 1 s watermark on the LTZ column drives a TUMBLE.
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE ev (
  id INT,
  ts TIMESTAMP(3),
  lts TIMESTAMP_LTZ(3),
  d DATE,
  tm TIME(0),
  WATERMARK FOR lts AS lts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json',
        'json.timestamp-format.standard' = 'ISO-8601');

CREATE TABLE `out` (
  window_start TIMESTAMP(3),
  n BIGINT,
  first_id INT,
  r ROW<max_ts TIMESTAMP(3), max_lts TIMESTAMP_LTZ(3), min_d DATE, max_tm TIME(0), ws TIMESTAMP(3), wt TIMESTAMP_LTZ(3)>,
  max_ts_str STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json',
        'json.timestamp-format.standard' = 'ISO-8601');

INSERT INTO `out`
SELECT window_start, COUNT(*), MIN(id),
  ROW(MAX(ts), MAX(lts), MIN(d), MAX(tm), window_start, window_time),
  CAST(MAX(ts) AS STRING)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(lts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, window_time;
