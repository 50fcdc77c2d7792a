-- DATE_FORMAT pattern letters around year ends: week of year w, week-based year Y, week of
-- month W, F, localized day of week e/c (DateTimeFormatter only), u, E/EEEE/EEEEE, a, k, K, h,
-- for a TIMESTAMP (DateTimeFormatter) and a string (SimpleDateFormat), US locale.
CREATE TABLE t (id INT, ts TIMESTAMP(3), s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  DATE_FORMAT(ts, 'w ww Y YYYY YY W') AS t_week,
  DATE_FORMAT(ts, 'F e ee eee eeee c ccc cccc u') AS t_dow,
  DATE_FORMAT(ts, 'E EEE EEEE EEEEE a k kk K KK h') AS t_names,
  DATE_FORMAT(s, 'w ww Y YYYY YY W') AS s_week,
  DATE_FORMAT(s, 'F u uu E EEE EEEE EEEEE') AS s_dow,
  DATE_FORMAT(s, 'a k kk K KK h') AS s_hours
FROM t;
