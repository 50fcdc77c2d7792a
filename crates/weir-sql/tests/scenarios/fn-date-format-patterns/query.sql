-- DATE_FORMAT as reports use it: full month and day names, day of year, week fields, 12-hour
-- clock with am/pm marker, literal text in quotes, a DATE argument and a STRING argument.
CREATE TABLE t (id INT, ts TIMESTAMP(3), d DATE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  DATE_FORMAT(ts, 'EEEE d MMMM yyyy') AS long_form,
  DATE_FORMAT(ts, 'D') AS doy,
  DATE_FORMAT(ts, 'hh:mm a') AS clock12,
  DATE_FORMAT(ts, 'yyyyMMddHHmmssSSS') AS compact,
  DATE_FORMAT(ts, '''Q''Q yyyy') AS quarter_lit,
  DATE_FORMAT(ts, 'u E') AS dow,
  DATE_FORMAT(ts, 'yyyy-MM-dd''T''HH:mm:ss.SS') AS iso2,
  DATE_FORMAT(ts, 'k K H h') AS hours,
  DATE_FORMAT(CAST(d AS TIMESTAMP), 'dd/MM/yy') AS d_fmt,
  DATE_FORMAT(CAST(ts AS STRING), 'MMM d') AS from_str
FROM t;
