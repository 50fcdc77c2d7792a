-- Two MATCH_RECOGNIZE in cascade: the first finds dips (MATCH_ROWTIME() as its rowtime), the second, ordered by that rowtime, finds two dips within 20 s whose second is deeper; the input of the first is a filtered view with a computed column
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticks (sym STRING, px INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticks.jsonl', 'format' = 'json');
CREATE TABLE `out` (sym STRING, first_depth INT, second_depth INT, first_t TIMESTAMP(3), second_t TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW clean AS SELECT sym, px * 10 AS p10, ts FROM ticks WHERE px IS NOT NULL AND sym <> 'ignore';

CREATE TEMPORARY VIEW dips AS
SELECT * FROM clean
MATCH_RECOGNIZE (
  PARTITION BY sym ORDER BY ts
  MEASURES H.p10 - L.p10 AS depth, MATCH_ROWTIME() AS mt
  AFTER MATCH SKIP TO LAST L
  PATTERN (H L R)
  DEFINE L AS L.p10 < H.p10, R AS R.p10 > L.p10
) D1;

INSERT INTO `out`
SELECT * FROM dips MATCH_RECOGNIZE (
  PARTITION BY sym ORDER BY mt
  MEASURES X.depth AS first_depth, Y.depth AS second_depth, X.mt AS first_t, Y.mt AS second_t
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (X Y) WITHIN INTERVAL '20' SECOND
  DEFINE Y AS Y.depth > X.depth
) D2;
