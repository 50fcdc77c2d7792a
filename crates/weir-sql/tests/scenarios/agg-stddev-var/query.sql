-- STDDEV_POP / STDDEV_SAMP / VAR_POP / VAR_SAMP (and STDDEV, VARIANCE) over DOUBLE and INT
-- columns: a one-row group has NULL sample statistics; over INT Flink keeps the INT type.
CREATE TABLE m (g STRING, i INT, d DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

SELECT g,
       STDDEV_POP(d) AS sd_pop, STDDEV_SAMP(d) AS sd_samp, VAR_POP(d) AS v_pop, VAR_SAMP(d) AS v_samp,
       STDDEV(d) AS sd, VARIANCE(d) AS v,
       STDDEV_POP(i) AS isd_pop, VAR_SAMP(i) AS iv_samp, AVG(i) AS iavg
FROM m
GROUP BY g;
