-- MATCH_ROWTIME() is a rowtime attribute: a TUMBLE window over the matches of a view
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (symbol STRING, price INT, tax INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');
CREATE TABLE `out` (symbol STRING, window_start TIMESTAMP(3), n BIGINT, total INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
CREATE VIEW drops AS
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY symbol ORDER BY rowtime
  MEASURES FIRST(D.price) - LAST(D.price) AS drop_size, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (S D+ U) DEFINE D AS D.price < LAST(D.price, 1) OR (LAST(D.price, 1) IS NULL AND D.price < S.price), U AS U.price > LAST(D.price)
);
INSERT INTO `out`
SELECT symbol, window_start, COUNT(*) AS n, SUM(drop_size) AS total
FROM TABLE(TUMBLE(TABLE drops, DESCRIPTOR(mt), INTERVAL '5' SECOND))
GROUP BY symbol, window_start, window_end
;
