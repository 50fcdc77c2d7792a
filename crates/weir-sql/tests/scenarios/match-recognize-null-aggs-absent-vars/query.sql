-- NULLs in conditions and measures: COUNT(*) vs COUNT(B.x) with NULL x, SUM/AVG over INT and MIN over DECIMAL with NULLs, MIN/MAX of strings, an absent optional variable's FIRST/LAST (NULL), LAST(B.x, 5) beyond the rows (NULL); DEFINE with IS NULL, OR and LIKE
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE orders (cust STRING, item STRING, x DECIMAL(6, 2), q INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT * FROM orders MATCH_RECOGNIZE (
  PARTITION BY cust ORDER BY ts
  MEASURES A.item AS opened, COUNT(*) AS n_rows, COUNT(B.x) AS n_x, SUM(B.q) AS sum_q, AVG(B.q) AS avg_q,
    MIN(B.x) AS min_x, MAX(B.item) AS max_item, MIN(B.item) AS min_item,
    FIRST(O.item) AS opt_item, LAST(B.x, 5) AS far_back, LAST(B.item, 1) AS prev_item, Z.item AS closed
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B+? O? Z)
  DEFINE A AS A.item LIKE 'open%',
    B AS B.x IS NULL OR B.x >= 0,
    O AS O.item = 'optional',
    Z AS Z.item LIKE 'close%'
) MR;
