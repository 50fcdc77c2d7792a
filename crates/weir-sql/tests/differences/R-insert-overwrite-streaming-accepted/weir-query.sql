CREATE TABLE t (a INT) WITH ('connector' = 'filesystem', 'path' = '/work/r-stage/min-hint-path/data/a.jsonl', 'format' = 'json');
CREATE TABLE o (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp/r-ow', 'format' = 'json');
INSERT OVERWRITE o SELECT a FROM t;
