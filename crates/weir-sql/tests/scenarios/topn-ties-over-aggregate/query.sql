-- Top-1 per region over an aggregation with ties: Flink ranks tied rows in the order their
-- latest change arrived, so a total that moves away and back goes behind its tie.
CREATE TABLE o (r STRING, c STRING, a INT)
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/o.jsonl', 'format' = 'json');
SELECT r, c, s FROM (
  SELECT r, c, s, ROW_NUMBER() OVER (PARTITION BY r ORDER BY s DESC) AS rn
  FROM (SELECT r, c, SUM(a) AS s FROM o GROUP BY r, c))
WHERE rn = 1;
