-- Asia/Shanghai: a running count and sum over the whole stream (ROWS UNBOUNDED PRECEDING, no
-- PARTITION BY) on a TIMESTAMP_LTZ rowtime from epoch seconds, beside the row's local date and
-- hour (CAST to DATE, HOUR, DATE_FORMAT) around local midnight (16:00 UTC); the running
-- MAX of the local day string; equal instants keep arrival order; a late row is dropped.
SET 'table.local-time-zone' = 'Asia/Shanghai';

CREATE TABLE trades (
  sym STRING, qty INT, sec BIGINT,
  ts AS TO_TIMESTAMP_LTZ(sec, 0),
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/trades.jsonl', 'format' = 'json');

CREATE TABLE `out` (sym STRING, sec BIGINT, local_day DATE, hr BIGINT, local_str STRING,
  n BIGINT, qty_sum INT, last_day STRING, first_sym STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT sym, sec, CAST(ts AS DATE), HOUR(ts), DATE_FORMAT(ts, 'MM/dd HH:mm:ss'),
  COUNT(*) OVER w, SUM(qty) OVER w, MAX(DATE_FORMAT(ts, 'yyyy-MM-dd')) OVER w, FIRST_VALUE(sym) OVER w
FROM trades
WINDOW w AS (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
