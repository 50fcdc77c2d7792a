-- MIN / MAX over strings (code-point order: 'Z' < 'a' < 'Ä'), booleans, dates, timestamps and
-- decimals; SUM / AVG of DOUBLE and FLOAT. (Flink refuses COUNT(DISTINCT a, b).)
CREATE TABLE t (g STRING, s STRING, b BOOLEAN, d DATE, ts TIMESTAMP(3), x DOUBLE, f FLOAT, `dec` DECIMAL(4, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT g, MIN(s) AS min_s, MAX(s) AS max_s, MIN(b) AS min_b, MAX(b) AS max_b,
       MIN(d) AS min_d, MAX(ts) AS max_ts, MIN(`dec`) AS min_dec, MAX(`dec`) AS max_dec,
       SUM(x) AS sum_x, AVG(x) AS avg_x, SUM(f) AS sum_f, AVG(f) AS avg_f
FROM t GROUP BY g;
