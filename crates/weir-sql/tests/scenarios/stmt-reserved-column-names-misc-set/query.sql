-- Columns named like keywords (`user`, `timestamp`, `value`, `count`, `order`, a unicode name with a space) quoted with backticks, misc SET keys Flink accepts (pipeline.name, parallelism.default, execution.runtime-mode), comments between statements, a TUMBLE on the `timestamp` column
SET 'pipeline.name' = 'weird names';
SET 'execution.runtime-mode' = 'streaming';
SET 'parallelism.default' = '1';
SET 'pipeline.auto-watermark-interval' = '0';
/* a block comment; with a semicolon */
CREATE TABLE `events` (
  `user` STRING,
  `value` DOUBLE,
  `count` INT,
  `order` INT,
  `größe cm` INT,
  `timestamp` TIMESTAMP(3),
  `value x2` AS `value` * 2,
  WATERMARK FOR `timestamp` AS `timestamp` - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');
-- the sink
CREATE TABLE `out` (`user` STRING, `window` TIMESTAMP(3), `sum` DOUBLE, `max order` INT, `rows` BIGINT, `size` INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT `user`, window_start AS `window`, SUM(`value x2`) AS `sum`, MAX(`order`) AS `max order`,
  SUM(CAST(`count` AS BIGINT)) AS `rows`, MIN(`größe cm`) AS `size`
FROM TABLE(TUMBLE(TABLE `events`, DESCRIPTOR(`timestamp`), INTERVAL '5' SECOND))
WHERE `user` <> 'select'
GROUP BY `user`, window_start, window_end;
