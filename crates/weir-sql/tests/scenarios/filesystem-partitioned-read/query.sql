-- A partitioned directory tree as Flink's filesystem sink writes it: the partition columns
-- come from the col=value directory names (escaped values, the default name as NULL);
-- _SUCCESS and hidden in-progress files are not data.
CREATE TABLE events (
  id INT,
  name STRING,
  price DECIMAL(10, 2),
  dt STRING,
  hr INT
) PARTITIONED BY (dt, hr) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events',
  'format' = 'csv'
);

SELECT dt, hr, COUNT(*) AS n, SUM(price) AS total, MIN(name) AS first_name
FROM events
GROUP BY dt, hr;
