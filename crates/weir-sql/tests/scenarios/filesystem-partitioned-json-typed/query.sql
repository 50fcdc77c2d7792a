-- A PARTITIONED BY json table whose partition columns are typed (STRING and DATE) and declared
-- between data columns; a filter on a partition column, a partition value with a space, and a
-- data file holding a field named like a partition column (the path's value wins).
CREATE TABLE sales (
  id INT,
  region STRING,
  amount DECIMAL(8, 2),
  `day` DATE,
  note STRING
) PARTITIONED BY (region, `day`) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales',
  'format' = 'json'
);

SELECT region, `day`, COUNT(*) AS n, SUM(amount) AS total, MAX(note) AS notes, EXTRACT(DOW FROM `day`) AS dow
FROM sales
WHERE `day` >= DATE '2024-01-01' AND region <> 'us'
GROUP BY region, `day`;
