-- Window join: bids and asks in the same 10 s tumbling window and auction, when the bid
-- meets the reserve. Full outer: bids and asks without a partner in their window are
-- padded with nulls. Each window is emitted once, when the watermark passes its end.
-- NULL auctions never match. (No late rows: with two sources, whether a row is late depends
-- on how far the other source has got; the unit tests cover late rows.)
CREATE TABLE bids (
  auction INT,
  bidder STRING,
  price INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/bids.jsonl', 'format' = 'json');

CREATE TABLE asks (
  auction INT,
  seller STRING,
  reserve INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/asks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), bid_auction INT, bidder STRING, price INT,
  ask_auction INT, seller STRING, reserve INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT COALESCE(b.window_start, a.window_start), COALESCE(b.window_end, a.window_end),
       b.auction, b.bidder, b.price, a.auction, a.seller, a.reserve
FROM (SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))) AS b
FULL JOIN (SELECT * FROM TABLE(TUMBLE(TABLE asks, DESCRIPTOR(ts), INTERVAL '10' SECOND))) AS a
  ON b.window_start = a.window_start AND b.window_end = a.window_end
  AND b.auction = a.auction AND b.price >= a.reserve;
