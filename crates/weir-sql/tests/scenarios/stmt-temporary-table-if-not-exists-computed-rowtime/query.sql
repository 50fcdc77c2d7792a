-- CREATE TEMPORARY TABLE with a computed rowtime parsed from a string (TO_TIMESTAMP), CREATE TEMPORARY TABLE IF NOT EXISTS on an existing name (a no-op), a filter on a metadata-free computed column, then a CUMULATE window
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TEMPORARY TABLE logs (lvl STRING, msg STRING, at_str STRING,
  ts AS TO_TIMESTAMP(at_str, 'yyyy/MM/dd HH:mm:ss'),
  is_err AS lvl IN ('ERROR', 'FATAL'),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/logs.jsonl', 'format' = 'json');
CREATE TEMPORARY TABLE IF NOT EXISTS logs (x INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/nothing.jsonl', 'format' = 'json');
CREATE TEMPORARY TABLE `out` (ws TIMESTAMP(3), we TIMESTAMP(3), errs BIGINT, total BIGINT, longest INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, COUNT(*) FILTER (WHERE is_err), COUNT(*), MAX(CHAR_LENGTH(msg))
FROM TABLE(CUMULATE(TABLE logs, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '30' SECOND))
GROUP BY window_start, window_end;
