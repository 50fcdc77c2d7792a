-- An interval join feeding a window aggregation on the impressions' rowtime: clicks within
-- 5 s of their impression, counted per 10 s window of the impression time. The join holds
-- its watermark back by its 5 s bound, so joined rows (which may be that far behind the
-- inputs' watermark) reach their windows before these fire.
CREATE TABLE impressions (
  imp_id INT,
  ad STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/impressions.jsonl', 'format' = 'json');

CREATE TABLE clicks (
  click_id INT,
  ad STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), ad STRING, clicks BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW clicked AS
SELECT i.ad, i.ts AS imp_ts, CAST(c.ts AS TIMESTAMP(3)) AS click_ts
FROM impressions AS i
JOIN clicks AS c ON i.ad = c.ad AND c.ts BETWEEN i.ts AND i.ts + INTERVAL '5' SECOND;

INSERT INTO `out`
SELECT window_start, ad, COUNT(*)
FROM TABLE(TUMBLE(TABLE clicked, DESCRIPTOR(imp_ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, ad;
