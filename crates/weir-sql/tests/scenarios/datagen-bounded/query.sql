-- datagen: a bounded sequence (each value once over all readers) beside random columns
-- within their bounds; the aggregates do not depend on which random values came out.
CREATE TABLE gen (
  id BIGINT,
  code STRING,
  r INT,
  price DECIMAL(10, 2),
  s STRING
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '100000',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '200',
  'fields.code.kind' = 'sequence', 'fields.code.start' = '1001', 'fields.code.end' = '1300',
  'fields.r.min' = '1', 'fields.r.max' = '10',
  'fields.price.min' = '5', 'fields.price.max' = '6',
  'fields.s.length' = '7'
);

SELECT id % 4 AS bucket, COUNT(*) AS n, SUM(id) AS total, MIN(r) >= 1 AND MAX(r) <= 10 AS r_in_range,
       MIN(price) >= 5 AND MAX(price) <= 6 AS price_in_range, MIN(CHAR_LENGTH(s)) = 7 AND MAX(CHAR_LENGTH(s)) = 7 AS s_len
FROM gen
GROUP BY id % 4;
