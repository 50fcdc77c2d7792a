-- Parsing invalid and old dates: TO_TIMESTAMP (DateTimeFormatter SMART: day clamped to the
-- month end, 24:00:00 the next midnight, other fields out of range NULL; with a format that
-- does not match, Timestamp.valueOf rolls fields over), TO_DATE with a format, UNIX_TIMESTAMP,
-- CONVERT_TZ and DATE_FORMAT of a string (lenient SimpleDateFormat: roll over, Julian before
-- 1582-10-15, two-digit years around today).
CREATE TABLE t (id INT, a STRING, b STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  TO_TIMESTAMP(a) AS ts_def,
  TO_TIMESTAMP(a, 'yyyy-MM-dd HH:mm:ss') AS ts_fmt,
  TO_TIMESTAMP(a, 'yyyy-M-d H:m:s') AS ts_fmt1,
  TO_DATE(a) AS d_def,
  TO_DATE(a, 'yyyy-MM-dd HH:mm:ss') AS d_fmt,
  UNIX_TIMESTAMP(a) AS unix_def,
  CONVERT_TZ(a, 'UTC', 'UTC') AS conv,
  DATE_FORMAT(a, 'yyyy-MM-dd HH:mm:ss') AS refmt,
  TO_DATE(b, 'dd.MM.yy') AS d_yy,
  TO_DATE(b, 'dd.MM.yyyy') AS d_yyyy,
  UNIX_TIMESTAMP(b, 'dd.MM.yyyy') AS unix_b
FROM t;
