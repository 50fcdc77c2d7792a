-- CREATE TABLE ... LIKE: the derived table overwrites the path and the CSV delimiter (default
-- INCLUDING ALL OVERWRITING OPTIONS), adds a computed column, and replaces the base table's
-- 1 s watermark with a 5 s one (OVERWRITING WATERMARKS) so a row late by 3 s is kept.
CREATE TABLE base (
  id INT,
  grp STRING,
  v INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/base.csv', 'format' = 'csv');

CREATE TABLE derived (
  v10 AS v * 10,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'path' = '${DATA}/derived.csv',
  'csv.field-delimiter' = '|'
) LIKE base (OVERWRITING WATERMARKS);

CREATE TABLE `out` (grp STRING, window_start TIMESTAMP(3), n BIGINT, sv INT, sv10 INT, ids STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT grp, window_start, COUNT(*), SUM(v), SUM(v10), LISTAGG(CAST(id AS STRING), ';')
FROM TABLE(TUMBLE(TABLE derived, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY grp, window_start, window_end;
