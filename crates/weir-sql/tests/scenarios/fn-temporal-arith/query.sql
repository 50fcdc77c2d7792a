-- TIMESTAMPADD / TIMESTAMPDIFF (whole units, truncated toward zero, across month ends and a
-- leap day), EXTRACT, YEAR/QUARTER/MONTH/WEEK/DAYOFYEAR/DAYOFMONTH/DAYOFWEEK/HOUR/MINUTE/SECOND,
-- date and timestamp arithmetic with intervals, DATE comparisons.
CREATE TABLE t (id INT, ts TIMESTAMP(3), ts2 TIMESTAMP(3), d DATE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, add_month TIMESTAMP(3), add_day TIMESTAMP(3), add_neg_hour TIMESTAMP(3),
  diff_s INT, diff_min INT, diff_day INT, diff_month INT, diff_year INT,
  ex_year BIGINT, ex_month BIGINT, ex_dow BIGINT, ex_doy BIGINT, ex_ms BIGINT,
  q BIGINT, wk BIGINT, dow BIGINT, dom BIGINT, hr BIGINT, mi BIGINT, se BIGINT,
  d_plus DATE, d_minus_month DATE, ts_plus TIMESTAMP(3), later BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  TIMESTAMPADD(MONTH, 1, ts),
  TIMESTAMPADD(DAY, 1, ts),
  TIMESTAMPADD(HOUR, -25, ts),
  TIMESTAMPDIFF(SECOND, ts, ts2),
  TIMESTAMPDIFF(MINUTE, ts, ts2),
  TIMESTAMPDIFF(DAY, ts, ts2),
  TIMESTAMPDIFF(MONTH, ts, ts2),
  TIMESTAMPDIFF(YEAR, ts, ts2),
  EXTRACT(YEAR FROM ts),
  EXTRACT(MONTH FROM d),
  EXTRACT(DOW FROM d),
  EXTRACT(DOY FROM ts),
  EXTRACT(MILLISECOND FROM ts),
  QUARTER(d), WEEK(d), DAYOFWEEK(d), DAYOFMONTH(d), HOUR(ts), MINUTE(ts), SECOND(ts),
  d + INTERVAL '1' DAY,
  d - INTERVAL '1' MONTH,
  ts + INTERVAL '1 02:03:04.005' DAY TO SECOND,
  ts2 > ts
FROM t;
