-- DATE_FORMAT with several patterns, TO_TIMESTAMP / TO_DATE with and without a format
-- (unparseable text → NULL), UNIX_TIMESTAMP of a string with a format, FROM_UNIXTIME with a
-- format, FLOOR / CEIL of timestamps to units. Session zone UTC.
CREATE TABLE t (id INT, ts TIMESTAMP(3), s STRING, ds STRING, e BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, f1 STRING, f2 STRING, f3 STRING, f4 STRING, parsed TIMESTAMP(3), parsed_d DATE,
  plain_d DATE, unix_s BIGINT, from_unix STRING, from_unix_f STRING, fl_hour TIMESTAMP(3),
  ce_day TIMESTAMP(3), fl_month TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss'),
  DATE_FORMAT(ts, 'yy/M/d h:mm a'),
  DATE_FORMAT(ts, 'EEE, dd MMM yyyy'),
  DATE_FORMAT(ts, 'HH:mm:ss.SSS'),
  TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm:ss'),
  TO_DATE(ds, 'dd-MM-yyyy'),
  TO_DATE(DATE_FORMAT(ts, 'yyyy-MM-dd')),
  UNIX_TIMESTAMP(s, 'yyyy/MM/dd HH:mm:ss'),
  FROM_UNIXTIME(e),
  FROM_UNIXTIME(e, 'yyyyMMdd'),
  FLOOR(ts TO HOUR),
  CEIL(ts TO DAY),
  FLOOR(ts TO MONTH)
FROM t;
