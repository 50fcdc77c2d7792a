-- Rowtime computed with TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm:ss') and a zero-delay watermark
-- (WATERMARK FOR ts AS ts): a row equal to the current watermark is not late, an older one is;
-- a view with a CASE column feeding a TUMBLE of 5 s. (A UNION ALL of two branches of one source
-- is left out: Flink's watermark at the union depends on buffer timing.)
CREATE TABLE a (
  k STRING,
  s STRING,
  ts AS TO_TIMESTAMP(s, 'yyyy/MM/dd HH:mm:ss'),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.csv', 'format' = 'csv');

CREATE VIEW both_ AS
SELECT k, ts, CASE WHEN SECOND(ts) >= 4 THEN 'late-ish' ELSE 'early' END AS src FROM a WHERE k <> 'z';

CREATE TABLE `out` (k STRING, window_start TIMESTAMP(3), n BIGINT, srcs STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, window_start, COUNT(*), MIN(src) || MAX(src)
FROM TABLE(TUMBLE(TABLE both_, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY k, window_start, window_end;
