SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Tokyo';
CREATE TABLE events (k STRING, ms BIGINT, rt AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR rt AS rt - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');
SELECT * FROM events MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY rt
  MEASURES MATCH_ROWTIME() AS mt, CAST(MATCH_ROWTIME() AS STRING) AS mt_str, A.rt AS a_rt
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (A)
) MR;
