-- Nexmark q2: Selection: the bids on every 123rd auction.
-- Run: weir run queries/nexmark/q2.sql   or   weir nexmark --api sql --query q2
-- (`weir nexmark` replaces the source tables' and the result table's WITH options to
-- follow --events/--seed/--input and --output.)

CREATE TABLE bid (
  auction BIGINT,
  bidder BIGINT,
  price BIGINT,
  channel VARCHAR,
  url VARCHAR,
  `dateTime` TIMESTAMP(3),
  extra VARCHAR,
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'event-type' = 'bid', 'events.num' = '10000000');

CREATE TABLE nexmark_q2 (
  auction BIGINT, price BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q2
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
