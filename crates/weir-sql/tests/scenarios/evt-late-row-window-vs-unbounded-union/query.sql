-- The same stream counted twice, unioned: per key by 5 s tumbling windows (late rows dropped,
-- watermark 3 s) and by an unbounded aggregate (every row counts), then a final unbounded
-- aggregate per key over the union showing both.
CREATE TABLE events (
  k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE VIEW windowed AS
SELECT k, 'window' AS src, COUNT(*) AS n, SUM(v) AS s
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY k, window_start, window_end;

CREATE VIEW unbounded AS
SELECT k, 'all' AS src, COUNT(*) AS n, SUM(v) AS s FROM events GROUP BY k;

SELECT k,
       SUM(CASE WHEN src = 'window' THEN n END) AS in_windows,
       SUM(CASE WHEN src = 'all' THEN n END) AS in_all,
       SUM(CASE WHEN src = 'all' THEN s ELSE -s END) AS dropped_sum,
       COUNT(*) AS parts
FROM (SELECT * FROM windowed UNION ALL SELECT * FROM unbounded)
GROUP BY k;
