-- Where a DECIMAL meets a DOUBLE or FLOAT the common type is DOUBLE (Calcite's rule): UNION ALL
-- columns, IN lists, BETWEEN, GREATEST / LEAST, NULLIF, arithmetic with a FLOAT, and
-- comparisons with values far beyond DECIMAL's range. Types made visible as STRING.
CREATE TABLE t (id INT, d DECIMAL(4, 2), x DOUBLE, f FLOAT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, u STRING, in_list BOOLEAN, btw BOOLEAN, greatest_dx STRING, least_dx STRING,
  nullif_dx STRING, d_plus_f STRING, d_times_x STRING, d_gt_x BOOLEAN, x_in_d BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, CAST(v AS STRING), in_list, btw, greatest_dx, least_dx, nullif_dx, d_plus_f, d_times_x, d_gt_x, x_in_d
FROM (
  SELECT id, d AS v,
    d IN (1.5E0, 2.5E0) AS in_list,
    d BETWEEN 0.5E0 AND x AS btw,
    CAST(GREATEST(d, x) AS STRING) AS greatest_dx,
    CAST(LEAST(d, x) AS STRING) AS least_dx,
    CAST(NULLIF(d, x) AS STRING) AS nullif_dx,
    CAST(d + f AS STRING) AS d_plus_f,
    CAST(d * x AS STRING) AS d_times_x,
    d > x AS d_gt_x,
    x IN (d, 2.5) AS x_in_d
  FROM t
  UNION ALL
  SELECT id + 100, x, FALSE, FALSE, '', '', '', '', '', FALSE, FALSE FROM t
);
