-- Rising runs with PREV(price) (equal prices break a run), UP{2,} then a drop, AFTER MATCH SKIP TO LAST UP; DOUBLE AVG, arithmetic on FIRST/LAST, a NULL price and a NULL partition key
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticks (sym STRING, price DOUBLE, vol INT, rt TIMESTAMP(3),
  WATERMARK FOR rt AS rt - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticks.jsonl', 'format' = 'json');
CREATE TABLE `out` (sym STRING, start_price DOUBLE, peak DOUBLE, drop_to DOUBLE, n_up BIGINT, avg_up DOUBLE,
  gain DOUBLE, vol_up INT, start_t TIMESTAMP(3), end_t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT * FROM ticks MATCH_RECOGNIZE (
  PARTITION BY sym ORDER BY rt
  MEASURES S.price AS start_price, LAST(UP.price) AS peak, D.price AS drop_to, COUNT(UP.price) AS n_up,
    AVG(UP.price) AS avg_up, LAST(UP.price) - S.price AS gain, SUM(UP.vol) AS vol_up,
    S.rt AS start_t, D.rt AS end_t
  AFTER MATCH SKIP TO LAST UP
  PATTERN (S UP{2,} D)
  DEFINE UP AS UP.price > PREV(price), D AS D.price < PREV(price)
) MR;
