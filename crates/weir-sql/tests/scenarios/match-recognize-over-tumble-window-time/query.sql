-- MATCH_RECOGNIZE over 10-second TUMBLE aggregates ordered by window_time: three consecutive windows whose click count keeps rising (PREV on the aggregated count), per page; empty windows simply do not exist
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE clicks (page STRING, usr STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');
CREATE TABLE `out` (page STRING, w1 TIMESTAMP(3), c1 BIGINT, c3 BIGINT, users3 BIGINT, t_end TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW per_window AS
SELECT page, window_start, window_time, COUNT(*) AS cnt, COUNT(DISTINCT usr) AS users
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY page, window_start, window_end, window_time;

INSERT INTO `out`
SELECT * FROM per_window MATCH_RECOGNIZE (
  PARTITION BY page ORDER BY window_time
  MEASURES FIRST(U.window_start) AS w1, FIRST(U.cnt) AS c1, LAST(U.cnt) AS c3, LAST(U.users) AS users3, MATCH_ROWTIME() AS t_end
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (U{3})
  DEFINE U AS PREV(cnt) IS NULL OR COUNT(U.cnt) = 1 OR U.cnt > PREV(cnt)
) MR;
