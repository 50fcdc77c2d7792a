-- Interval join: each impression with the clicks on its ad from the impression's time up
-- to 5 s after it (bounds inclusive, a click exactly 5 s later counts; a click before the
-- impression does not; Flink keeps both rowtimes, so one is cast to a plain timestamp). Left outer: impressions without a click in time are emitted
-- padded with nulls once the watermark has passed their interval. Insert-only output.
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
  imp_id INT, ad STRING, imp_ts TIMESTAMP(3), click_id INT, click_ts TIMESTAMP(3)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT i.imp_id, i.ad, i.ts, c.click_id, CAST(c.ts AS TIMESTAMP(3))
FROM impressions AS i
LEFT JOIN clicks AS c
  ON i.ad = c.ad AND c.ts BETWEEN i.ts AND i.ts + INTERVAL '5' SECOND;
