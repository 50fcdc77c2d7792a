-- 'json.fail-on-missing-field' = 'true': every field is present (some as JSON null, some nested
-- objects with all their fields), extra fields are allowed; fields given in any order.
CREATE TABLE t (
  id INT,
  name STRING,
  score DOUBLE,
  tags ARRAY<STRING>,
  pos ROW<x INT, y INT>
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json',
        'json.fail-on-missing-field' = 'true');

CREATE TABLE `out` (id INT, name STRING, score DOUBLE, n_tags INT, x INT, y INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, name, score, CARDINALITY(tags), pos.x, pos.y FROM t;
