-- TIMESTAMPDIFF in WEEK / QUARTER / HOUR / SECOND / DAY / YEAR, negative spans and spans a
-- millisecond short of a unit; TIMESTAMPADD of WEEK / QUARTER / YEAR from a leap day and a
-- month end; EXTRACT of WEEK (ISO), QUARTER, DAYOFWEEK, DECADE, CENTURY, MILLENNIUM
-- of dates around New Year.
CREATE TABLE t (id INT, a TIMESTAMP(3), b TIMESTAMP(3), d DATE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, diff_week INT, diff_q INT, diff_h INT, diff_s INT, diff_day INT, diff_year INT,
  add_week TIMESTAMP(3), add_q TIMESTAMP(3), add_year TIMESTAMP(3), add_min TIMESTAMP(3), add_d DATE,
  wk BIGINT, q BIGINT, dow BIGINT, doy BIGINT, decade BIGINT, century BIGINT, millennium BIGINT,
  ex_sec BIGINT, diff_dates INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  TIMESTAMPDIFF(WEEK, a, b),
  TIMESTAMPDIFF(QUARTER, a, b),
  TIMESTAMPDIFF(HOUR, a, b),
  TIMESTAMPDIFF(SECOND, a, b),
  TIMESTAMPDIFF(DAY, a, b),
  TIMESTAMPDIFF(YEAR, a, b),
  TIMESTAMPADD(WEEK, 2, a),
  TIMESTAMPADD(QUARTER, -1, a),
  TIMESTAMPADD(YEAR, 1, a),
  TIMESTAMPADD(MINUTE, -90, a),
  TIMESTAMPADD(MONTH, 1, d),
  EXTRACT(WEEK FROM d),
  EXTRACT(QUARTER FROM d),
  EXTRACT(DOW FROM d),
  EXTRACT(DOY FROM d),
  EXTRACT(DECADE FROM d),
  EXTRACT(CENTURY FROM d),
  EXTRACT(MILLENNIUM FROM d),
  EXTRACT(SECOND FROM a),
  TIMESTAMPDIFF(DAY, d, CAST(b AS DATE))
FROM t;
