SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (k STRING, x INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM (SELECT k, x * 10 AS x10, ts FROM t WHERE x IS NOT NULL) MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES A.x10 AS a, B.x10 AS b
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A B) DEFINE B AS B.x10 > A.x10
) MR;
