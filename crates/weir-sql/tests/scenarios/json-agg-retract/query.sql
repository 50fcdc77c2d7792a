-- JSON_ARRAYAGG / JSON_OBJECTAGG over an updating input: per-user totals that change as rows
-- arrive, aggregated again per region (the earlier total of a user retracted each time).
CREATE TABLE t (region STRING, usr STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT region,
  JSON_OBJECTAGG(KEY usr VALUE total) AS totals,
  JSON_ARRAYAGG(usr) AS users,
  COUNT(*) AS n
FROM (SELECT region, usr, SUM(amount) AS total FROM t GROUP BY region, usr)
GROUP BY region;
