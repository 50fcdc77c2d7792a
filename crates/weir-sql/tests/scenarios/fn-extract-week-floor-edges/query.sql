-- Calendar fields at year and quarter edges: EXTRACT WEEK / DOW / ISODOW / DOY / QUARTER /
-- DECADE, WEEK(), DAYOFYEAR(), DAYOFWEEK(); FLOOR / CEIL of a timestamp to WEEK, QUARTER and
-- YEAR, CEIL of a value already on the boundary.
CREATE TABLE t (id INT, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  EXTRACT(WEEK FROM ts) AS wk,
  WEEK(ts) AS wk_fn,
  EXTRACT(DOW FROM ts) AS dow,
  EXTRACT(ISODOW FROM ts) AS isodow,
  DAYOFYEAR(ts) AS doy,
  DAYOFWEEK(ts) AS dow_fn,
  QUARTER(ts) AS q,
  EXTRACT(DECADE FROM ts) AS decade,
  EXTRACT(CENTURY FROM ts) AS century,
  FLOOR(ts TO WEEK) AS fl_week,
  FLOOR(ts TO QUARTER) AS fl_q,
  CEIL(ts TO YEAR) AS ce_year,
  CEIL(ts TO QUARTER) AS ce_q,
  CEIL(ts TO MINUTE) AS ce_min
FROM t;
