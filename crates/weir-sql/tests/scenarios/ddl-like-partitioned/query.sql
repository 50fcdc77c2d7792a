-- LIKE copies PARTITIONED BY (INCLUDING ALL is the default): the derived table over another
-- directory takes dt from its paths; with EXCLUDING PARTITIONS dt is a plain JSON field (NULL
-- where a record lacks it, the record's value where it has one).
CREATE TABLE a (
  id INT,
  v DOUBLE,
  dt STRING
) PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '${DATA}/a', 'format' = 'json');

CREATE TABLE b WITH ('path' = '${DATA}/b') LIKE a;

CREATE TABLE a_flat WITH ('connector' = 'filesystem', 'path' = '${DATA}/a', 'format' = 'json')
LIKE a (EXCLUDING PARTITIONS EXCLUDING OPTIONS);

SELECT src, dt, COUNT(*) AS n, SUM(v) AS total
FROM (
  SELECT 'a' AS src, dt, v FROM a
  UNION ALL
  SELECT 'b' AS src, dt, v FROM b
  UNION ALL
  SELECT 'flat' AS src, dt, v FROM a_flat
)
GROUP BY src, dt;
