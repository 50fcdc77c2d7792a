SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE t (k STRING, d DOUBLE, i INT, s STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT * FROM t MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES CAST(A.d AS STRING) AS d_str, CAST(A.ts AS STRING) AS ts_str, A.i / 2 AS half, A.i / 2.0 AS half_dec,
    CAST(A.i AS STRING) || A.s AS cat, A.d * 2 AS dd, ROUND(A.d, 1) AS rnd,
    CAST(A.i AS DECIMAL(5, 2)) / 3 AS dec3, MOD(A.i, 3) AS m, DATE_FORMAT(A.ts, 'yyyy/MM/dd HH') AS df,
    CAST(A.s AS INT) AS s_int, A.i > 1 AS gt, CAST(A.ts AS DATE) AS dt, UPPER(A.s) AS up, CHAR_LENGTH(A.s) AS len
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A) DEFINE A AS A.i IS NOT NULL
) MR;
