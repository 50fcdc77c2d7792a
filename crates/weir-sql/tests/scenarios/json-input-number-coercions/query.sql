-- JSON input coercions as Flink's json format does them: an INT or BIGINT given as a float
-- number (truncated) or in exponent form, a STRING column given a number, a boolean or an
-- object, a BOOLEAN given as text ("TRUE", "yes" is false), a DOUBLE given as text, a DECIMAL
-- given in exponent form or as text with more digits than the scale.
CREATE TABLE t (id INT, i INT, big BIGINT, s STRING, b BOOLEAN, x DOUBLE, d DECIMAL(8, 3), sm SMALLINT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (id INT, i INT, big BIGINT, s STRING, b BOOLEAN, x DOUBLE, d DECIMAL(8, 3), sm SMALLINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out` SELECT * FROM t;
