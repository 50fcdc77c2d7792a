-- Emission order of matches seen by a downstream LISTAGG: overlapping matches (SKIP TO NEXT ROW) where a long partial match started earlier holds back later complete ones; partitioned by a BOOLEAN and an INT key
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ticker (vip BOOLEAN, shard INT, price INT, rowtime TIMESTAMP(3),
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ticker.jsonl', 'format' = 'json');

CREATE TEMPORARY VIEW m AS
SELECT * FROM ticker MATCH_RECOGNIZE (
  PARTITION BY vip, shard ORDER BY rowtime
  MEASURES A.price AS a, C.price AS c, COUNT(B.price) AS nb
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN (A B*? C)
  DEFINE A AS A.price < 10, C AS C.price > A.price + 5
) MR;

SELECT vip, shard, LISTAGG(CAST(a AS STRING) || '-' || CAST(c AS STRING) || '/' || CAST(nb AS STRING), ' ') AS seq, COUNT(*) AS n
FROM m GROUP BY vip, shard;
