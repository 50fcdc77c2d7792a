-- No PARTITION BY over several symbols with rows tied on rowtime (matched in arrival order), a reluctant B*? in the middle, LAST(B.sym) and string measures, AFTER MATCH SKIP TO LAST B
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (a_sym STRING, b_syms STRING, c_sym STRING, nb BIGINT, spread INT, t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticker MATCH_RECOGNIZE (
  ORDER BY rowtime
  MEASURES A.symbol AS a_sym, CONCAT_WS('/', FIRST(B.symbol), LAST(B.symbol)) AS b_syms, C.symbol AS c_sym,
    COUNT(B.price) AS nb, C.price - A.price AS spread, MATCH_ROWTIME() AS t
  AFTER MATCH SKIP TO LAST B
  PATTERN (A B*? C)
  DEFINE A AS A.price > 50, B AS B.price BETWEEN 10 AND 50, C AS C.price > A.price
) MR;
