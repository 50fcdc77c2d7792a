-- A completed match waits while an earlier-starting partial match runs; WITHIN 5 s times the earlier one out (at the watermark), which releases the waiting match; B and C are complementary (B AS price <= A.price + 5, C AS price > A.price + 5), default skip TO NEXT ROW
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, a INT, c INT, nb BIGINT, t0 TIMESTAMP(3), t1 TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES A.price AS a, C.price AS c, COUNT(B.price) AS nb, A.rowtime AS t0, C.rowtime AS t1
  PATTERN (A B* C) WITHIN INTERVAL '5' SECOND
  DEFINE A AS A.price < 10, B AS B.price <= A.price + 5, C AS C.price > A.price + 5
) MR;
