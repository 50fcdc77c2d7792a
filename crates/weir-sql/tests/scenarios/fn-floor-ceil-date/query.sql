-- FLOOR / CEIL of a DATE to DAY, WEEK, MONTH, QUARTER, YEAR, DECADE and CENTURY with Flink's
-- calendar rules: CEIL of a date on the unit's first day stays except for QUARTER (April 1
-- moves to July 1) and DECADE; CEIL to DAY is the next day; before 1970 and 1900 too.
CREATE TABLE t (id INT, d DATE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  FLOOR(d TO DAY) AS fd, CEIL(d TO DAY) AS cd,
  FLOOR(d TO WEEK) AS fw, CEIL(d TO WEEK) AS cw,
  FLOOR(d TO MONTH) AS fm, CEIL(d TO MONTH) AS cm,
  FLOOR(d TO QUARTER) AS fq, CEIL(d TO QUARTER) AS cq,
  FLOOR(d TO YEAR) AS fy, CEIL(d TO YEAR) AS cy,
  FLOOR(d TO DECADE) AS fdec, CEIL(d TO DECADE) AS cdec,
  FLOOR(d TO CENTURY) AS fcen, CEIL(d TO CENTURY) AS ccen
FROM t;
