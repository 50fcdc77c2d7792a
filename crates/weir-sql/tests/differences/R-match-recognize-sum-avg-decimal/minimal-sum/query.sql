SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (k STRING, x DECIMAL(6, 2), ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES SUM(A.x) AS agg
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A+? B) DEFINE B AS B.x > 0
) MR;
