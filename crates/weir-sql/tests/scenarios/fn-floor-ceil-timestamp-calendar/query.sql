-- FLOOR / CEIL of a TIMESTAMP(3) to WEEK … MILLENNIUM (time of day dropped, truncated toward
-- 1970 before rounding; CEIL of a boundary; April 1 CEIL to QUARTER is July 1) and to DAY,
-- HOUR, SECOND (arithmetic), for times before 1970, at year ends and on Sundays.
CREATE TABLE t (id INT, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  FLOOR(ts TO WEEK) AS fw, CEIL(ts TO WEEK) AS cw,
  FLOOR(ts TO MONTH) AS fm, CEIL(ts TO MONTH) AS cm,
  FLOOR(ts TO QUARTER) AS fq, CEIL(ts TO QUARTER) AS cq,
  FLOOR(ts TO YEAR) AS fy, CEIL(ts TO YEAR) AS cy,
  FLOOR(ts TO DECADE) AS fdec, CEIL(ts TO DECADE) AS cdec,
  FLOOR(ts TO CENTURY) AS fcen, CEIL(ts TO CENTURY) AS ccen,
  FLOOR(ts TO MILLENNIUM) AS fmil, CEIL(ts TO MILLENNIUM) AS cmil,
  FLOOR(ts TO DAY) AS fd, CEIL(ts TO DAY) AS cd,
  FLOOR(ts TO HOUR) AS fh, CEIL(ts TO HOUR) AS ch,
  CEIL(ts TO SECOND) AS cs
FROM t;
