CREATE TABLE base (id INT, v INT, v2 AS v * 2, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/none.json', 'format' = 'json');
CREATE TABLE d2 WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json') LIKE base (EXCLUDING GENERATED EXCLUDING OPTIONS);
CREATE TABLE `out` (id INT, v INT, ts TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT * FROM d2;
