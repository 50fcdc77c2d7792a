-- Epoch conversions with session zone UTC: TO_TIMESTAMP_LTZ of seconds (precision 0) and of
-- milliseconds (3), negative epochs, FROM_UNIXTIME, UNIX_TIMESTAMP of text with the default
-- and a custom format (unparseable text), TO_TIMESTAMP with a format, and round trips.
CREATE TABLE t (id INT, sec BIGINT, ms BIGINT, s STRING, f STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  TO_TIMESTAMP_LTZ(sec, 0) AS ltz_s,
  TO_TIMESTAMP_LTZ(ms, 3) AS ltz_ms,
  CAST(TO_TIMESTAMP_LTZ(ms, 3) AS STRING) AS ltz_str,
  FROM_UNIXTIME(sec) AS fu,
  FROM_UNIXTIME(sec, 'yyyy-MM-dd''T''HH:mm') AS fu_fmt,
  UNIX_TIMESTAMP(s) AS ux,
  UNIX_TIMESTAMP(f, 'dd/MM/yyyy HH:mm') AS ux_fmt,
  TO_TIMESTAMP(f, 'dd/MM/yyyy HH:mm') AS ts_fmt,
  UNIX_TIMESTAMP(FROM_UNIXTIME(sec)) = sec AS round_trip,
  EXTRACT(EPOCH FROM TO_TIMESTAMP(s)) AS ep
FROM t;
