-- Window join of one table with itself: buys and sells of a symbol in the same 10 s
-- tumbling window, left outer (buys without a sell in their window are padded). Both
-- sides come from one source, split by a filter on each side.
-- (No late rows here: a row is late when the watermark of both inputs has passed its
-- window, and the two inputs reach the join on separate channels, so whether the other
-- side's watermark arrived first is a race — in Flink too. The operator's unit tests
-- cover late rows.)
CREATE TABLE trades (
  symbol STRING,
  side STRING,
  qty INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/trades.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), symbol STRING, buy_qty INT, sell_qty INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT b.window_start, b.symbol, b.qty, s.qty
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE trades, DESCRIPTOR(ts), INTERVAL '10' SECOND)) WHERE side = 'buy'
) AS b
LEFT JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE trades, DESCRIPTOR(ts), INTERVAL '10' SECOND)) WHERE side = 'sell'
) AS s
ON b.window_start = s.window_start AND b.window_end = s.window_end AND b.symbol = s.symbol;
