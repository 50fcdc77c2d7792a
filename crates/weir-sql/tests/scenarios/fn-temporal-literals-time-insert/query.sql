-- Temporal literals and TIME values written to a JSON sink: comparisons with TIMESTAMP /
-- DATE / TIME literals, TIME +/- intervals wrapping midnight, combining a DATE and a TIME,
-- HOUR / MINUTE / SECOND of a TIME, differences to a fixed literal, CAST of literals.
CREATE TABLE t (id INT, ts TIMESTAMP(3), t TIME(0), d DATE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, after_cut BOOLEAN, same_day BOOLEAN, morning BOOLEAN, t_plus TIME(0), t_minus TIME(0),
  combined TIMESTAMP(3), h BIGINT, m BIGINT, s BIGINT, days_to_2025 INT, secs_since_midnight INT,
  lit_str STRING, d_plus_days DATE
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  ts >= TIMESTAMP '2024-02-28 22:30:15.250',
  d = DATE '2024-12-31',
  t < TIME '12:00:00',
  t + INTERVAL '1' HOUR,
  t - INTERVAL '8:30' HOUR TO MINUTE,
  CAST(CAST(d AS STRING) || ' ' || CAST(t AS STRING) AS TIMESTAMP(3)),
  EXTRACT(HOUR FROM t),
  EXTRACT(MINUTE FROM t),
  EXTRACT(SECOND FROM t),
  TIMESTAMPDIFF(DAY, CAST(d AS TIMESTAMP), TIMESTAMP '2025-01-01 00:00:00'),
  TIMESTAMPDIFF(SECOND, CAST(d AS TIMESTAMP), ts),
  CAST(TIMESTAMP '2024-01-02 03:04:05.600' AS STRING),
  d + INTERVAL '60' DAY
FROM t;
