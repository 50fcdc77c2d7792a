-- Parsing and shifting local times: TO_TIMESTAMP / TO_DATE with custom patterns (invalid
-- dates, one-digit fields, two-digit years, a date-only string with the default pattern),
-- CONVERT_TZ from UTC into zones around DST changes and a half-hour offset.
CREATE TABLE t (id INT, a STRING, b STRING, c STRING, tz STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  TO_TIMESTAMP(a) AS ts_a,
  TO_DATE(b, 'dd.MM.yyyy') AS d_b,
  TO_TIMESTAMP(c, 'yyyyMMdd''T''HHmm') AS ts_c,
  TO_DATE(a) AS d_a,
  CONVERT_TZ(a, 'UTC', tz) AS in_zone,
  CONVERT_TZ(a, 'UTC', 'Asia/Kolkata') AS in_india,
  CONVERT_TZ(a, 'Europe/Berlin', 'America/New_York') AS ber_to_ny,
  DATE_FORMAT(TO_TIMESTAMP(c, 'yyyyMMdd''T''HHmm'), 'yyyy/MM/dd HH:mm') AS reformatted
FROM t;
