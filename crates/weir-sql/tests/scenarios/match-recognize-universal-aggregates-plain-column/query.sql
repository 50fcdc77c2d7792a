-- Aggregates without a pattern variable (SUM/AVG/MAX(price) over all rows of the match) and a plain column in MEASURES (the last row's value), a reluctant B+? with no DEFINE
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (symbol STRING, price INT, rowtime TIMESTAMP(3), WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime MEASURES A.price AS a, price AS last_price, SUM(price) AS s_all, AVG(price) AS avg_all, MAX(price) AS mx_all AFTER MATCH SKIP PAST LAST ROW PATTERN (A B+? C) DEFINE A AS A.price < 10, C AS C.price > 20
) MR;
