-- STDDEV/VAR over INT and DOUBLE as Flink computes them. Over INT Flink's result is the
-- real-valued statistic truncated to INT ({0, 0, 2}: VAR_POP 0.888… → 0), not the integer
-- arithmetic of its SUM/COUNT reduction (which would give 1). Also VAR_POP of a count over
-- an updating input (the per-key counts change as rows arrive, retracting old values).
CREATE TABLE v (g STRING, i INT, d DOUBLE, k INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/v.jsonl', 'format' = 'json');

CREATE VIEW per_key AS SELECT k, COUNT(*) AS n, SUM(i) AS si FROM v GROUP BY k;

SELECT g, VAR_POP(i) AS ivp, VAR_SAMP(i) AS ivs, STDDEV_POP(i) AS isp, STDDEV_SAMP(i) AS iss,
       VAR_POP(d) AS dvp, VAR_SAMP(d) AS dvs, STDDEV_POP(d) AS dsp, STDDEV_SAMP(d) AS dss,
       (SELECT VAR_POP(n) FROM per_key) AS nvp
FROM v GROUP BY g;
