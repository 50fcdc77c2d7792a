-- Conditional aggregation as Flink users write it: SUM(CASE ... ELSE 0), COUNT(CASE ... END),
-- SUM(IF(...)), AVG / MAX of a CASE without ELSE over DECIMAL amounts with NULLs; a CASE whose
-- branches are DECIMALs of different scales and an INT.
CREATE TABLE o (oid INT, shop STRING, status STRING, amount DECIMAL(10, 2), fee DECIMAL(5, 3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/o.jsonl', 'format' = 'json');

SELECT shop,
  SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS paid,
  COUNT(CASE WHEN status = 'refund' THEN 1 END) AS refunds,
  SUM(IF(status IS NULL, 1, 0)) AS unknown_status,
  AVG(CASE WHEN status = 'paid' THEN amount END) AS avg_paid,
  MAX(CASE WHEN status <> 'paid' THEN amount END) AS max_other,
  SUM(CASE WHEN amount > 100 THEN fee WHEN amount > 10 THEN amount ELSE 1 END) AS mixed,
  COUNT(*) AS n
FROM o
GROUP BY shop;
