-- TIME without a precision is TIME(0) (the fraction dropped); TIME(p) printed by CAST AS STRING
-- with its fraction trimmed to at least one digit; TIMESTAMPs before 1970 cast to TIME and DATE
-- as Flink casts them (toward zero).
CREATE TABLE t (id INT, s STRING, ts TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (id INT, s_time STRING, s_time3 STRING, ts_time STRING, ts_time3 STRING, ts_date STRING, lit STRING) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, CAST(CAST(s AS TIME) AS STRING), CAST(CAST(s AS TIME(3)) AS STRING), CAST(CAST(ts AS TIME) AS STRING), CAST(CAST(ts AS TIME(3)) AS STRING), CAST(CAST(ts AS DATE) AS STRING), CAST(TIME '07:08:09.5' AS STRING) FROM t;
