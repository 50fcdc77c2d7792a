-- FLOOR / CEIL of a TIMESTAMP_LTZ in America/New_York: the input instant's offset is used on
-- both sides (an hour off the local boundary across a DST change, as in Flink), days of the
-- local wall clock truncated toward 1970.
SET 'table.local-time-zone' = 'America/New_York';
CREATE TABLE t (id INT, ms BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id, TO_TIMESTAMP_LTZ(ms, 3) AS v,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO HOUR) AS fh, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO HOUR) AS ch,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO DAY) AS fd, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO DAY) AS cd,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO WEEK) AS fw, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO WEEK) AS cw,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO MONTH) AS fm, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO MONTH) AS cm,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO QUARTER) AS fq, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO QUARTER) AS cq,
  FLOOR(TO_TIMESTAMP_LTZ(ms, 3) TO YEAR) AS fy, CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO YEAR) AS cy,
  CEIL(TO_TIMESTAMP_LTZ(ms, 3) TO MINUTE) AS cmin
FROM t;
