-- Interval arithmetic: month intervals from month ends (clamped to the last day), YEAR TO
-- MONTH, DAY TO SECOND and HOUR TO MINUTE literals, negative intervals, INTERVAL * n with a
-- column, DATE + day interval, and filtering with a timestamp window built from intervals.
CREATE TABLE t (id INT, ts TIMESTAMP(3), d DATE, n INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, plus_month TIMESTAMP(3), plus_ym TIMESTAMP(3), minus_year DATE, plus_ds TIMESTAMP(3),
  plus_hm TIMESTAMP(3), neg_day TIMESTAMP(3), times_n TIMESTAMP(3), d_plus DATE, d_months DATE,
  in_range BOOLEAN, plus_sec TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ts + INTERVAL '1' MONTH,
  ts + INTERVAL '1-1' YEAR TO MONTH,
  d - INTERVAL '1' YEAR,
  ts + INTERVAL '2 03:04:05.678' DAY TO SECOND,
  ts - INTERVAL '25:30' HOUR TO MINUTE,
  ts + INTERVAL -'1' DAY,
  ts + n * INTERVAL '1' HOUR,
  d + INTERVAL '30' DAY,
  d + n * INTERVAL '1' MONTH,
  ts BETWEEN TIMESTAMP '2024-01-01 00:00:00' - INTERVAL '1' DAY AND TIMESTAMP '2024-02-29 23:30:00',
  ts + INTERVAL '0.5' SECOND
FROM t;
