-- Nexmark q0: Pass-through: every bid, the framework's own overhead.
-- Run: weir run queries/nexmark/q0.sql   or   weir nexmark --api sql --query q0
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

CREATE TABLE nexmark_q0 (
  auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), extra VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q0
SELECT auction, bidder, price, `dateTime`, extra FROM bid;
