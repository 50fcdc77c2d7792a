-- datagen sequences of several types (INT, BIGINT, SMALLINT, STRING) with different
-- start/end of one length (26 values, so rows pair the same at any parallelism); computed
-- columns over them.
-- (A DECIMAL sequence fails in Flink 2.3 itself: BigDecimal cannot be cast to DecimalData.)
CREATE TABLE gen (
  id INT,
  big BIGINT,
  small SMALLINT,
  code STRING,
  id_mod AS id % 3,
  label AS CONCAT('c-', code)
) WITH (
  'connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '-5', 'fields.id.end' = '20',
  'fields.big.kind' = 'sequence', 'fields.big.start' = '9007199254740990', 'fields.big.end' = '9007199254741015',
  'fields.small.kind' = 'sequence', 'fields.small.start' = '100', 'fields.small.end' = '125',
  'fields.code.kind' = 'sequence', 'fields.code.start' = '7', 'fields.code.end' = '32'
);

SELECT id_mod, COUNT(*) AS n, SUM(id) AS s_id, MIN(big) AS min_big, MAX(big) AS max_big,
  SUM(small) AS s_small, MIN(label) AS min_label, MAX(code) AS max_code
FROM gen
GROUP BY id_mod;
