-- A partitioned CSV table whose partition columns are declared first and in the middle: the
-- files hold only the other columns, in declared order; SELECT * gives the declared order;
-- an INT partition column compared with an integer.
CREATE TABLE t (
  region STRING,
  id INT,
  hr INT,
  name STRING,
  amount DECIMAL(6, 2)
) PARTITIONED BY (region, hr) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t',
  'format' = 'csv'
);

CREATE TABLE `out` (region STRING, id INT, hr INT, name STRING, amount DECIMAL(6, 2), late BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT *, hr >= 10 FROM t WHERE hr <> 8 AND amount IS NOT NULL;
