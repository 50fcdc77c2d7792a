-- Legacy group window GROUP BY HOP(ts, slide, size) over a view, with HOP_START and HOP_END.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE VIEW visits AS SELECT `user`, page, ms, ts FROM clicks WHERE page <> '/x';

CREATE TABLE `out` (
  page STRING, wstart TIMESTAMP(3), wend TIMESTAMP(3), clicks BIGINT, users BIGINT, max_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT page, HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND),
  HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND), COUNT(*), COUNT(DISTINCT `user`), MAX(ms)
FROM visits
GROUP BY page, HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND);
