-- Three steps in views: drop re-delivered events (keep the first copy by event time), count
-- clicks and distinct users per page in 10 s tumbling windows, keep the top 2 pages per window.
-- Watermark 3 s; e13 at 10:00:08 arrives after 10:00:16 and is late; e14's re-delivery is older.
CREATE TABLE clicks (
  eid STRING, page STRING, uid INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), page STRING, clicks BIGINT, users BIGINT, rn BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW firsts AS
SELECT eid, page, uid, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY eid ORDER BY ts ASC) AS r FROM clicks)
WHERE r = 1;

CREATE VIEW per_page AS
SELECT window_start, window_end, page, COUNT(*) AS clicks, COUNT(DISTINCT uid) AS users
FROM TABLE(TUMBLE(TABLE firsts, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, page;

INSERT INTO `out`
SELECT window_start, window_end, page, clicks, users, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end
                               ORDER BY clicks DESC, page ASC) AS rn
  FROM per_page)
WHERE rn <= 2;
