-- Only partition columns and COUNT(*) are read from a partitioned json table (no data field is
-- needed); one partition's file holds a row whose data fields are of the wrong type, which
-- does not matter for this query in Flink (projection pushdown). An empty partition file.
CREATE TABLE logs (
  lvl STRING,
  code INT,
  dt STRING
) PARTITIONED BY (dt) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/logs',
  'format' = 'json'
);

SELECT dt, COUNT(*) AS n FROM logs GROUP BY dt;
