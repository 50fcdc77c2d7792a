-- An OVER running count (RANGE UNBOUNDED PRECEDING, peers share it) and a running SUM per
-- user feed an unbounded GROUP BY: how many events reached each visit number bucket and
-- the largest running total, with HAVING; the result updates.
CREATE TABLE visits (uid STRING, spend INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/visits.jsonl', 'format' = 'json');

CREATE VIEW numbered AS
SELECT uid, ts, spend,
  COUNT(*) OVER (PARTITION BY uid ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS nth,
  SUM(spend) OVER (PARTITION BY uid ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_total
FROM visits;

SELECT CASE WHEN nth = 1 THEN 'first' WHEN nth <= 3 THEN 'early' ELSE 'regular' END AS stage,
  COUNT(*) AS events, COUNT(DISTINCT uid) AS users, MAX(run_total) AS max_running, MIN(run_total) AS min_running
FROM numbered
GROUP BY CASE WHEN nth = 1 THEN 'first' WHEN nth <= 3 THEN 'early' ELSE 'regular' END
HAVING COUNT(*) > 1;
