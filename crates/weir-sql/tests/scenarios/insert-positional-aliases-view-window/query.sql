-- INSERT maps query columns to sink columns by position, not by name: the select list's aliases
-- name other sink columns on purpose. The source goes through a view holding a TUMBLE window
-- aggregate, and a second view that filters it.
CREATE TABLE clicks (
  usr STRING,
  url STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.csv', 'format' = 'csv');

CREATE VIEW per_minute AS
SELECT usr, window_start, window_end, COUNT(*) AS clicks, COUNT(DISTINCT url) AS urls, MAX(ts) AS last_ts
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY usr, window_start, window_end;

CREATE TEMPORARY VIEW busy AS SELECT * FROM per_minute WHERE clicks > 1 OR usr IS NULL;

CREATE TABLE `out` (usr STRING, urls BIGINT, clicks BIGINT, window_start TIMESTAMP(3), last_ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT usr AS window_start, clicks AS urls, urls AS clicks, window_start AS last_ts, last_ts AS usr FROM busy;
