-- DATE_FORMAT with quoted literals, day-of-year, week-in-year, full day and month names,
-- 12-hour clock, fraction digits; TO_TIMESTAMP / TO_DATE / UNIX_TIMESTAMP with custom formats
-- (invalid day, one-digit fields, compact formats); FROM_UNIXTIME of negative and far values;
-- DATE_FORMAT of a string timestamp.
CREATE TABLE t (id INT, ts TIMESTAMP(3), s STRING, c STRING, e BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, iso STRING, doy STRING, names STRING, h12 STRING, frac STRING, from_str STRING,
  p1 TIMESTAMP(3), p2 TIMESTAMP(3), pd STRING, ux BIGINT, fu STRING, fu_fmt STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  DATE_FORMAT(ts, 'yyyy-MM-dd''T''HH:mm:ss'),
  DATE_FORMAT(ts, 'D/DDD'),
  DATE_FORMAT(ts, 'EEEE d MMMM yy'),
  DATE_FORMAT(ts, 'hh:mm a, K'),
  DATE_FORMAT(ts, 'ss.S|SS|SSSSSS'),
  DATE_FORMAT('2024-05-06 07:08:09', 'yyyyMMdd HHmm'),
  TO_TIMESTAMP(s, 'dd/MM/yyyy HH:mm'),
  TO_TIMESTAMP(c, 'yyyyMMddHHmmss'),
  CAST(TO_DATE(SUBSTRING(c, 1, 8), 'yyyyMMdd') AS STRING),
  UNIX_TIMESTAMP(c, 'yyyyMMddHHmmss'),
  FROM_UNIXTIME(e),
  FROM_UNIXTIME(e, 'yyyy-MM-dd HH:mm:ss EEE')
FROM t;
