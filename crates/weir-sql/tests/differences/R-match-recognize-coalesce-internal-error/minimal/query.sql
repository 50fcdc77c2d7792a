SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (k STRING, x INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES COALESCE(A.x, -1) AS ax
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A) DEFINE A AS COALESCE(A.x, 0) >= 0
) MR;
