-- ORDER BY the rowtime (then v descending) on a stream: rows wait for the watermark (2 s
-- behind the largest time) and come out in order; a row behind the watermark when it
-- arrives (id 5 at 00:00:02 after 00:00:08, id 7 at 00:00:05 after 00:00:12) is dropped.
CREATE TABLE ev (id INT, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (id INT, v INT, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, v, ts FROM ev ORDER BY ts, v DESC;
